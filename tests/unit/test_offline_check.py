"""The offline certificate check against a small log built here from the RFC 9162
definitions: a genuine credential and proof verify; each kind of forgery or mix-up fails
with a reason naming the check; input that is no credential or proof is bad input."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from domain.certificate import Certificate
from domain.envelope import envelope_of
from infra.credentials.data_integrity import canonical_json
from infra.credentials.issuer import KeyCredentialIssuer
from infra.credentials.offline_check import (
    BadInput,
    CertificateInvalid,
    parse_issuer_did,
    parse_log_key,
    verify_certificate,
)
from projections.signed_note import VerifierKey
from projections.tlog_proof import TlogProof, parse_tlog_proof
from streams.audit_signer import CheckpointSigner
from tests.support.certificate_issuer import fixed_issuer, issue_with_credential
from tests.unit.support import prov

LOG = CheckpointSigner("verachain/audit/v1", Ed25519PrivateKey.from_private_bytes(bytes(32)))
OTHER_LOG = CheckpointSigner("verachain/audit/v1", Ed25519PrivateKey.from_private_bytes(b"x" * 32))
ISSUANCE_INDEX = 2


def _leaf(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(leaves: Sequence[bytes]) -> bytes:
    """RFC 9162 §2.1.1 MTH, recursively."""
    if len(leaves) == 1:
        return _leaf(leaves[0])
    k = _split(len(leaves))
    return _node(mth(leaves[:k]), mth(leaves[k:]))


def path(m: int, leaves: Sequence[bytes]) -> list[bytes]:
    """RFC 9162 §2.1.3.1 PATH(m, D[n]), recursively."""
    if len(leaves) == 1:
        return []
    k = _split(len(leaves))
    if m < k:
        return [*path(m, leaves[:k]), mth(leaves[k:])]
    return [*path(m - k, leaves[k:]), mth(leaves[:k])]


def issued(certificate_id: UUID | None = None, sku: str = "SKU-1") -> Certificate.Issued:
    certificate = issue_with_credential(
        certificate_id=certificate_id or uuid4(),
        product_id=uuid4(),
        sku=sku,
        serial_number="SN-1",
        manufacturer="Acme",
        product_name="Chronograph",
        verification_id=uuid4(),
        verdict="AUTHENTIC",
        inspector_id="inspector-1",
        ai_score=Decimal("0.93"),
        ai_model_name="vera-cnn",
        ai_model_version="1.4.0",
        prov=prov("inspector-1"),
    )
    (event,) = certificate.collect_events()
    assert isinstance(event, Certificate.Issued)
    return event


@dataclass
class Fixture:
    credential: str
    proof: str
    leaves: list[bytes]
    log_key: VerifierKey


def logged(event: Certificate.Issued, other: bytes | None = None) -> Fixture:
    """A log of five leaves whose third is the event's envelope; `other` replaces the
    envelope bytes (to log something else at that index)."""
    entry = other if other is not None else canonical_json(envelope_of(event, 3))
    leaves = [f'{{"n":{i}}}'.encode() for i in range(5)]
    leaves[ISSUANCE_INDEX] = entry
    note = LOG.sign(len(leaves), mth(leaves))
    proof = TlogProof(ISSUANCE_INDEX, path(ISSUANCE_INDEX, leaves), note, extra=entry)
    assert event.credential is not None
    return Fixture(event.credential, proof.format(), leaves, parse_log_key(LOG.verifier_key))


def check(fixture: Fixture, **overrides: Any) -> None:
    arguments: dict[str, Any] = {
        "credential_text": fixture.credential,
        "proof_text": fixture.proof,
        "log_key": fixture.log_key,
        "issuer_did": fixed_issuer().did,
    }
    arguments.update(overrides)
    verify_certificate(**arguments)


def invalid(fixture: Fixture, **overrides: Any) -> str:
    with pytest.raises(CertificateInvalid) as caught:
        check(fixture, **overrides)
    return caught.value.reason


def test_a_genuine_certificate_and_proof_verify() -> None:
    event = issued()
    fixture = logged(event)

    verified = verify_certificate(
        fixture.credential, fixture.proof, fixture.log_key, fixed_issuer().did
    )

    assert verified.certificate_id == event.originator_id
    assert verified.issuer == fixed_issuer().did
    assert verified.issuer_pinned
    assert verified.issuance is not None
    assert (verified.issuance.leaf_index, verified.issuance.tree_size) == (ISSUANCE_INDEX, 5)


def test_the_credential_alone_verifies_without_a_proof() -> None:
    fixture = logged(issued())
    verified = verify_certificate(fixture.credential)
    assert verified.issuance is None
    assert not verified.issuer_pinned


def test_a_pretty_printed_credential_is_the_same_credential() -> None:
    fixture = logged(issued())
    pretty = json.dumps(json.loads(fixture.credential), indent=2)
    check(fixture, credential_text=pretty)


def test_a_tampered_credential_fails_its_signature() -> None:
    fixture = logged(issued())
    tampered = json.loads(fixture.credential)
    tampered["credentialSubject"]["serialNumber"] = "SN-2"
    reason = invalid(fixture, credential_text=json.dumps(tampered))
    assert reason.startswith("credential: signature does not verify")


def test_another_issuer_is_refused_when_the_issuer_is_pinned() -> None:
    fixture = logged(issued())
    stranger = KeyCredentialIssuer(Ed25519PrivateKey.from_private_bytes(b"s" * 32))
    assert "not the expected" in invalid(fixture, issuer_did=stranger.did)


def test_a_credential_re_signed_by_the_issuer_is_not_the_logged_one() -> None:
    """Same id, same issuer, valid signature, different content: only the log tells."""
    original = issued()
    fixture = logged(original)
    forged = issued(certificate_id=original.originator_id, sku="SKU-FAKE")
    assert forged.credential is not None
    reason = invalid(fixture, credential_text=forged.credential)
    assert reason.startswith("the credential is not the one issued")


def test_a_wrong_log_key_fails_the_checkpoint() -> None:
    fixture = logged(issued())
    reason = invalid(fixture, log_key=parse_log_key(OTHER_LOG.verifier_key))
    assert reason.startswith("checkpoint: no signature by verachain/audit/v1")


def test_a_proof_for_another_certificate_fails() -> None:
    fixture = logged(issued())
    other = logged(issued())
    reason = invalid(fixture, proof_text=other.proof)
    assert reason.startswith("proof: the logged issuance is of certificate")


def test_a_proof_of_an_event_of_another_type_fails() -> None:
    event = issued()
    envelope = envelope_of(event, 3)
    envelope["type"] = "ProductCertified"
    reason = invalid(logged(event), proof_text=logged(event, canonical_json(envelope)).proof)
    assert reason.startswith("proof: the logged event is a ProductCertified")


def test_a_wrong_index_fails_the_inclusion_proof() -> None:
    fixture = logged(issued())
    proof = parse_tlog_proof(fixture.proof)
    moved = TlogProof(3, proof.hashes, proof.checkpoint_note, proof.extra).format()
    assert "inclusion proof does not lead to its root" in invalid(fixture, proof_text=moved)


def test_rewritten_leaf_data_fails_the_inclusion_proof() -> None:
    event = issued()
    fixture = logged(event)
    envelope = envelope_of(event, 3)
    data = envelope["data"]
    assert isinstance(data, dict)
    data["sku"] = "SKU-OTHER"
    proof = parse_tlog_proof(fixture.proof)
    rewritten = TlogProof(
        proof.index, proof.hashes, proof.checkpoint_note, canonical_json(envelope)
    ).format()
    assert "inclusion proof does not lead to its root" in invalid(fixture, proof_text=rewritten)


def test_a_logged_leaf_that_is_not_canonical_json_fails() -> None:
    event = issued()
    loose = json.dumps(envelope_of(event, 3), indent=1).encode()
    reason = invalid(logged(event), proof_text=logged(event, loose).proof)
    assert reason == "proof: the logged leaf is not a canonical (JCS) envelope"


def test_a_v1_issuance_without_a_credential_hash_fails() -> None:
    event = issued()
    envelope = envelope_of(event, 3)
    data = envelope["data"]
    assert isinstance(data, dict)
    data["credential"] = data["credential_sha256"] = None
    fixture = logged(event, canonical_json(envelope))
    assert invalid(fixture) == "proof: the logged issuance records no credential hash"


def test_a_proof_without_leaf_data_fails() -> None:
    fixture = logged(issued())
    proof = parse_tlog_proof(fixture.proof)
    bare = TlogProof(proof.index, proof.hashes, proof.checkpoint_note).format()
    assert invalid(fixture, proof_text=bare) == "proof: it carries no leaf data (extra) to check"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"credential_text": "not json"}, "the credential is not JSON"),
        ({"credential_text": "[1, 2]"}, "not a JSON object"),
        ({"credential_text": '{"a": 1, "a": 2}'}, "repeats a key"),
        ({"proof_text": "hello\n"}, "not a C2SP tlog-proof"),
        ({"log_key": None}, "give --log-key"),
    ],
)
def test_what_is_not_a_credential_or_proof_is_bad_input(
    overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(BadInput, match=message):
        check(logged(issued()), **overrides)


@pytest.mark.parametrize(
    "text", ["did:web:example.com", "did:key:zNotBase58!", "did:key:z6Mk#frag"]
)
def test_a_malformed_issuer_did_is_bad_input(text: str) -> None:
    with pytest.raises(BadInput, match="--issuer-key"):
        parse_issuer_did(text)


def test_a_malformed_log_key_is_bad_input() -> None:
    with pytest.raises(BadInput, match="--log-key"):
        parse_log_key("verachain/audit/v1+00000000+AAAA")
