"""Data Integrity proofs with the `eddsa-jcs-2022` cryptosuite (W3C Data Integrity EdDSA
Cryptosuites v1.0, section 3.3), restricted to `did:key` verification methods.

The signature covers SHA-256(JCS(proof configuration)) ‖ SHA-256(JCS(document without proof)).
JCS works on the JSON itself, so no JSON-LD context is ever fetched or expanded: a verifier
needs only the document, the did:key in it and this module.
"""

from __future__ import annotations

import copy
import hashlib
import re
from datetime import datetime
from typing import Any

import base58
import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from infra.credentials.multikey import BASE58BTC_HEADER, MultikeyError, did_of, public_key_from_did

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-jcs-2022"
PROOF_PURPOSE = "assertionMethod"
_SIGNATURE_LENGTH = 64
# XML Schema dateTimeStamp: a dateTime whose time zone is mandatory.
_DATE_TIME_STAMP = re.compile(
    r"-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", re.ASCII
)


class CredentialInvalid(Exception):
    """The secured document does not carry a valid eddsa-jcs-2022 proof by its issuer."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def add_proof(
    document: dict[str, Any],
    private_key: Ed25519PrivateKey,
    verification_method: str,
    created: str,
) -> dict[str, Any]:
    """A copy of `document` with an eddsa-jcs-2022 `proof` (Create Proof, section 3.3.1).
    `verification_method` must be the did:key method of `private_key`, or nobody could verify."""
    if "proof" in document:
        raise ValueError("the document already has a proof; proof sets are not supported")
    signer = private_key.public_key()
    if _raw(public_key_from_did(verification_method)) != _raw(signer):
        raise ValueError(f"{verification_method} is not the verification method of this key")
    if not _is_date_time_stamp(created):
        raise ValueError(f"created {created!r} is not an XML Schema dateTimeStamp")
    unsecured = copy.deepcopy(document)
    proof: dict[str, Any] = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": created,
        "verificationMethod": verification_method,
        "proofPurpose": PROOF_PURPOSE,
    }
    # Step 2 of Create Proof: the proof repeats the document's context, so the signed proof
    # configuration pins it (a verifier checks the document still starts with it).
    if "@context" in unsecured:
        proof["@context"] = copy.deepcopy(unsecured["@context"])
    signature = private_key.sign(hash_data(unsecured, proof))
    proof["proofValue"] = BASE58BTC_HEADER + base58.b58encode(signature).decode("ascii")
    return {**unsecured, "proof": proof}


def verify_proof(document: dict[str, Any], expected_issuer: str | None = None) -> None:
    """Raise CredentialInvalid unless the document's proof verifies (Verify Proof, section
    3.3.2) and binds to its issuer: an issuer that is a DID must be the verification method's
    did:key, and `expected_issuer`, when given, must be both the issuer and that did:key.
    An issuer that is not a DID (the spec's example) is left for the caller to trust or not."""
    proof = _single_proof(document)
    for required in ("type", "cryptosuite", "verificationMethod", "proofPurpose", "proofValue"):
        if required not in proof:
            raise CredentialInvalid(f"proof has no {required}")
    if proof["type"] != PROOF_TYPE:
        raise CredentialInvalid(f"proof type is {proof['type']!r}, not {PROOF_TYPE}")
    if proof["cryptosuite"] != CRYPTOSUITE:
        raise CredentialInvalid(f"cryptosuite is {proof['cryptosuite']!r}, not {CRYPTOSUITE}")
    if proof["proofPurpose"] != PROOF_PURPOSE:
        raise CredentialInvalid(f"proof purpose is {proof['proofPurpose']!r}, not {PROOF_PURPOSE}")
    if "created" in proof and not _is_date_time_stamp(proof["created"]):
        raise CredentialInvalid(f"proof created {proof['created']!r} is not a dateTimeStamp")
    public_key, signer_did = _signer(proof["verificationMethod"])
    signature = _signature(proof["proofValue"])
    _check_issuer(document, signer_did, expected_issuer)

    unsecured = {key: value for key, value in document.items() if key != "proof"}
    options = {key: value for key, value in proof.items() if key != "proofValue"}
    if "@context" in options:
        # The document may have gained contexts after signing (proof chains), never lost or
        # reordered the signed ones; the signed prefix is what was hashed.
        if not _starts_with(document.get("@context"), options["@context"]):
            raise CredentialInvalid("the credential's @context does not start with the proof's")
        unsecured["@context"] = options["@context"]
    try:
        signed_bytes = hash_data(unsecured, options)
    except rfc8785.CanonicalizationError as e:
        raise CredentialInvalid(f"credential is not canonicalizable JSON: {e}") from e
    try:
        public_key.verify(signature, signed_bytes)
    except InvalidSignature:
        raise CredentialInvalid(
            f"signature does not verify with {proof['verificationMethod']}"
        ) from None


def hash_data(unsecured: dict[str, Any], proof_options: dict[str, Any]) -> bytes:
    """The 64 bytes eddsa-jcs-2022 signs: SHA-256 of the canonical proof configuration, then
    SHA-256 of the canonical document (Hashing, section 3.3.4)."""
    return (
        hashlib.sha256(canonical_json(proof_options)).digest()
        + hashlib.sha256(canonical_json(unsecured)).digest()
    )


def canonical_json(value: dict[str, Any]) -> bytes:
    """RFC 8785 (JCS) bytes. The one place this package canonicalizes: it moves to the
    project's shared `projections.jcs.canonical_json` once that lands (rfc8785 is its
    reference, so the bytes will not change)."""
    return rfc8785.dumps(value)


def _single_proof(document: object) -> dict[str, Any]:
    if not isinstance(document, dict):
        raise CredentialInvalid("credential is not a JSON object")
    proof = document.get("proof")
    if proof is None:
        raise CredentialInvalid("credential has no proof")
    if isinstance(proof, list):
        raise CredentialInvalid("proof sets are not supported; expected a single proof")
    if not isinstance(proof, dict):
        raise CredentialInvalid("proof is not a JSON object")
    return proof


def _signer(method: object) -> tuple[Ed25519PublicKey, str]:
    if not isinstance(method, str):
        raise CredentialInvalid("verification method is not a string")
    try:
        return public_key_from_did(method), did_of(method)
    except MultikeyError as e:
        raise CredentialInvalid(f"verification method is not a usable did:key: {e}") from e


def _signature(proof_value: object) -> bytes:
    if not isinstance(proof_value, str) or not proof_value.startswith(BASE58BTC_HEADER):
        raise CredentialInvalid("malformed proofValue: not multibase base58btc ('z' prefix)")
    try:
        signature = base58.b58decode(proof_value[1:])
    except ValueError:
        raise CredentialInvalid("malformed proofValue: not valid base58btc") from None
    if len(signature) != _SIGNATURE_LENGTH:
        raise CredentialInvalid(
            f"malformed proofValue: {len(signature)} bytes, not an Ed25519 signature's 64"
        )
    return signature


def _check_issuer(document: dict[str, Any], signer_did: str, expected: str | None) -> None:
    issuer = document.get("issuer")
    # VC Data Model 2.0: the issuer is a URL or an object whose `id` is one.
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    if expected is not None:
        if issuer_id != expected:
            raise CredentialInvalid(f"issuer is {issuer_id!r}, not the expected {expected}")
        if signer_did != expected:
            raise CredentialInvalid(f"signed by {signer_did}, not the expected issuer {expected}")
    if isinstance(issuer_id, str) and issuer_id.startswith("did:") and issuer_id != signer_did:
        raise CredentialInvalid(f"issuer {issuer_id} did not sign: the proof is by {signer_did}")


def _starts_with(document_context: object, proof_context: object) -> bool:
    def as_list(context: object) -> list[Any]:
        return context if isinstance(context, list) else [context]

    signed = as_list(proof_context)
    return as_list(document_context)[: len(signed)] == signed


def _is_date_time_stamp(value: object) -> bool:
    if not isinstance(value, str) or _DATE_TIME_STAMP.fullmatch(value) is None:
        return False
    try:
        datetime.fromisoformat(value)  # ranges: month 13 or hour 25 match the pattern
    except ValueError:
        return False
    return True


def _raw(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
