"""Checking a certificate offline, from nothing but files and public keys
(`verachain cert verify`):

1. the credential's eddsa-jcs-2022 proof, by its did:key issuer (pinned when given);
2. with a tlog-proof of its issuance: the checkpoint note is signed by the log's key; the
   proof's extra data (the issuance event's canonical envelope) is leaf `index` of that
   checkpoint's tree (RFC 9162 inclusion); and that envelope is the CertificateIssued event
   of this credential's id, recording the SHA-256 of this credential's JCS form.

So a verified credential was signed by the issuer, and its issuance is in the append-only
history the log committed to. Revocation is a later event, which this proof cannot show:
ask the API (`status`) for that."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import rfc8785

from infra.credentials.certificate_vc import CREDENTIAL_TYPE, credential_sha256
from infra.credentials.data_integrity import CredentialInvalid, canonical_json, verify_proof
from infra.credentials.multikey import MultikeyError, did_of
from projections.checkpoint import CheckpointError, parse_checkpoint
from projections.merkle_verify import verify_inclusion
from projections.signed_note import NoteError, VerifierKey, open_note, parse_verifier_key
from projections.tlog_proof import TlogProof, TlogProofError, parse_tlog_proof

ISSUANCE_TYPE = "CertificateIssued"
URN_UUID = "urn:uuid:"


class BadInput(ValueError):
    """Not something to verify at all: a file that is no JSON or no tlog-proof, a malformed
    key (exit 2, as bad usage)."""


class CertificateInvalid(Exception):
    """The certificate does not verify; `reason` is one line saying which check failed."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class LoggedIssuance:
    leaf_index: int
    tree_size: int
    origin: str


@dataclass(frozen=True)
class VerifiedCertificate:
    certificate_id: UUID
    issuer: str
    issuer_pinned: bool
    issuance: LoggedIssuance | None  # None: no tlog-proof was checked


def parse_json_object(text: str, what: str) -> dict[str, Any]:
    """A JSON object with no repeated keys (a duplicate would let two readers see two
    different documents behind one signature); BadInput otherwise."""

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [key for key, _ in pairs]
        if len(set(keys)) != len(keys):
            raise BadInput(f"{what} repeats a key")
        return dict(pairs)

    try:
        value = json.loads(text, object_pairs_hook=no_duplicates)
    except json.JSONDecodeError as e:
        raise BadInput(f"{what} is not JSON: {e}") from e
    if not isinstance(value, dict):
        raise BadInput(f"{what} is not a JSON object")
    return value


def parse_issuer_did(text: str) -> str:
    try:
        did = did_of(text.strip())
    except MultikeyError as e:
        raise BadInput(f"--issuer-key: {e}") from e
    if did != text.strip():
        raise BadInput("--issuer-key: give the issuer's DID, not a verification method")
    return did


def parse_log_key(text: str) -> VerifierKey:
    try:
        return parse_verifier_key(text.strip())
    except NoteError as e:
        raise BadInput(f"--log-key: {e}") from e


def verify_certificate(
    credential_text: str,
    proof_text: str | None = None,
    log_key: VerifierKey | None = None,
    issuer_did: str | None = None,
) -> VerifiedCertificate:
    """Every check above; CertificateInvalid naming the first that fails, BadInput for
    input that is not a credential or proof at all."""
    credential = parse_json_object(credential_text, "the credential")
    try:
        verify_proof(credential, expected_issuer=issuer_did)
    except CredentialInvalid as e:
        raise CertificateInvalid(f"credential: {e.reason}") from e
    certificate_id = _certificate_id(credential)
    issuer = _issuer(credential)
    issuance = None
    if proof_text is not None:
        if log_key is None:
            raise BadInput("a tlog-proof is checked against the log's key: give --log-key")
        issuance = _check_issuance(credential, certificate_id, proof_text, log_key)
    return VerifiedCertificate(certificate_id, issuer, issuer_did is not None, issuance)


def _certificate_id(credential: dict[str, Any]) -> UUID:
    types = credential.get("type")
    if not isinstance(types, list) or CREDENTIAL_TYPE not in types:
        raise CertificateInvalid(f"credential: not a {CREDENTIAL_TYPE}")
    credential_id = credential.get("id")
    if not isinstance(credential_id, str) or not credential_id.startswith(URN_UUID):
        raise CertificateInvalid("credential: its id is not a urn:uuid: of a certificate")
    try:
        return UUID(credential_id.removeprefix(URN_UUID))
    except ValueError:
        raise CertificateInvalid(f"credential: id {credential_id[:60]!r} is no UUID") from None


def _issuer(credential: dict[str, Any]) -> str:
    issuer = credential.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    return str(issuer_id)


def _check_issuance(
    credential: dict[str, Any], certificate_id: UUID, proof_text: str, log_key: VerifierKey
) -> LoggedIssuance:
    try:
        proof = parse_tlog_proof(proof_text)
    except TlogProofError as e:
        raise BadInput(f"the proof is not a C2SP tlog-proof: {e}") from e
    if proof.extra is None:
        raise CertificateInvalid("proof: it carries no leaf data (extra) to check")
    # Trust the tree head first: everything below is only as good as its root.
    try:
        checkpoint = parse_checkpoint(open_note(proof.checkpoint_note, log_key))
    except NoteError as e:
        raise CertificateInvalid(f"checkpoint: {e}") from e
    except CheckpointError as e:
        raise CertificateInvalid(f"checkpoint: signed, but not a checkpoint: {e}") from e
    # RFC 9162 leaf hash, computed here rather than imported: SHA-256(0x00 || leaf input).
    leaf = hashlib.sha256(b"\x00" + proof.extra).digest()
    if not verify_inclusion(leaf, proof.index, checkpoint.size, proof.hashes, checkpoint.root):
        raise CertificateInvalid(
            f"proof: leaf {proof.index} is not in the signed tree of {checkpoint.size} "
            "(the inclusion proof does not lead to its root)"
        )
    _check_envelope(_envelope(proof), certificate_id, credential)
    return LoggedIssuance(proof.index, checkpoint.size, checkpoint.origin)


def _envelope(proof: TlogProof) -> dict[str, Any]:
    assert proof.extra is not None
    try:
        text = proof.extra.decode()
        envelope = parse_json_object(text, "the proof's leaf data")
    except (UnicodeDecodeError, BadInput) as e:
        raise CertificateInvalid(f"proof: the logged leaf is not an event envelope ({e})") from e
    # The leaf hashes these exact bytes: only their one canonical reading counts.
    if _jcs(envelope) != proof.extra:
        raise CertificateInvalid("proof: the logged leaf is not a canonical (JCS) envelope")
    return envelope


def _check_envelope(
    envelope: dict[str, Any], certificate_id: UUID, credential: dict[str, Any]
) -> None:
    if envelope.get("type") != ISSUANCE_TYPE:
        raise CertificateInvalid(
            f"proof: the logged event is a {str(envelope.get('type'))[:40]}, not a {ISSUANCE_TYPE}"
        )
    if envelope.get("aggregate_id") != str(certificate_id):
        raise CertificateInvalid(
            f"proof: the logged issuance is of certificate "
            f"{str(envelope.get('aggregate_id'))[:40]}, not {certificate_id}"
        )
    data = envelope.get("data")
    recorded = data.get("credential_sha256") if isinstance(data, dict) else None
    if recorded is None:
        raise CertificateInvalid("proof: the logged issuance records no credential hash")
    try:
        actual = credential_sha256(credential)
    except rfc8785.CanonicalizationError as e:  # unreachable after verify_proof, kept honest
        raise CertificateInvalid(f"credential: not canonicalizable JSON: {e}") from e
    if recorded != actual:
        raise CertificateInvalid(
            "the credential is not the one issued: its SHA-256 is "
            f"{actual}, the logged issuance recorded {str(recorded)[:64]}"
        )


def _jcs(value: dict[str, Any]) -> bytes | None:
    try:
        return canonical_json(value)
    except rfc8785.CanonicalizationError:
        return None
