"""The certificate-of-authenticity credential: its shape, its determinism, its hash, its proof."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from infra.credentials.certificate_vc import (
    CertificateFields,
    certificate_credential,
    credential_sha256,
    utc_timestamp,
)
from infra.credentials.data_integrity import CredentialInvalid, add_proof, verify_proof
from infra.credentials.multikey import did_key, verification_method

CREATED = "2025-03-01T12:00:05Z"
ISSUER_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
OTHER_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
ISSUER = did_key(ISSUER_KEY.public_key())
FIELDS = CertificateFields(
    certificate_id=UUID("0195504a-2a6f-7a51-8e1f-3b1c2d3e4f50"),
    product_id=UUID("0195504a-2a6f-7a51-8e1f-3b1c2d3e4f51"),
    sku="HERMES-BIRKIN-30",
    serial_number="SN-000123",
    manufacturer="Hermès",
    product_name="Birkin 30 Togo",
    verification_id=UUID("0195504a-2a6f-7a51-8e1f-3b1c2d3e4f52"),
    verdict="AUTHENTIC",
    inspector_id="inspector-7",
    ai_score=Decimal("0.970"),
    ai_model_name="vera-vision",
    ai_model_version="2025.02",
    issued_at=datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC),
)
# Pinned: issued credentials are hashed into events and the audit log, so any change to the
# credential's bytes for the same fields is a compatibility break, not a refactoring.
PINNED_SHA256 = "23ff5a5566dde90837bca69d796e3560e74a4c25106cca669748757d29ebdbe8"


def credential(fields: CertificateFields = FIELDS) -> dict[str, Any]:
    return certificate_credential(fields, ISSUER_KEY, CREATED)


def test_the_credential_has_the_agreed_shape() -> None:
    signed = credential()
    proof = signed.pop("proof")

    assert signed == {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential", "CertificateOfAuthenticity"],
        "id": "urn:uuid:0195504a-2a6f-7a51-8e1f-3b1c2d3e4f50",
        "issuer": ISSUER,
        "validFrom": "2025-03-01T12:00:00Z",
        "credentialSubject": {
            "id": "urn:uuid:0195504a-2a6f-7a51-8e1f-3b1c2d3e4f51",
            "sku": "HERMES-BIRKIN-30",
            "serialNumber": "SN-000123",
            "manufacturer": "Hermès",
            "productName": "Birkin 30 Togo",
            "verification": {
                "id": "urn:uuid:0195504a-2a6f-7a51-8e1f-3b1c2d3e4f52",
                "verdict": "AUTHENTIC",
                "inspector": "inspector-7",
                "aiScore": "0.970",
                "aiModel": {"name": "vera-vision", "version": "2025.02"},
            },
        },
    }
    assert {key: value for key, value in proof.items() if key != "proofValue"} == {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-jcs-2022",
        "created": CREATED,
        "verificationMethod": verification_method(ISSUER_KEY.public_key()),
        "proofPurpose": "assertionMethod",
        "@context": ["https://www.w3.org/ns/credentials/v2"],
    }


def test_without_an_ai_assessment_score_and_model_are_null() -> None:
    fields = dataclasses.replace(FIELDS, ai_score=None, ai_model_name=None, ai_model_version=None)

    verification = credential(fields)["credentialSubject"]["verification"]

    assert verification["aiScore"] is None
    assert verification["aiModel"] is None


@pytest.mark.parametrize(
    ("score", "written"),
    [(Decimal("0.970"), "0.970"), (Decimal("1E+1"), "10"), (Decimal("1E-7"), "0.0000001")],
)
def test_the_ai_score_is_a_plain_decimal_string(score: Decimal, written: str) -> None:
    verification = credential(dataclasses.replace(FIELDS, ai_score=score))["credentialSubject"][
        "verification"
    ]

    assert verification["aiScore"] == written


def test_valid_from_is_the_issuance_time_in_utc() -> None:
    paris = timezone(timedelta(hours=1))
    issued_at = datetime(2025, 3, 1, 13, 0, 0, 250_000, tzinfo=paris)

    signed = credential(dataclasses.replace(FIELDS, issued_at=issued_at))

    assert signed["validFrom"] == "2025-03-01T12:00:00.250000Z"
    assert utc_timestamp(datetime(2025, 3, 1, tzinfo=paris)) == "2025-02-28T23:00:00Z"


def test_the_same_fields_and_key_give_the_same_bytes() -> None:
    first, second = credential(), credential()

    assert first == second
    assert rfc8785.dumps(first) == rfc8785.dumps(second)
    assert credential_sha256(first) == credential_sha256(second) == PINNED_SHA256


def test_the_hash_is_sha256_of_the_canonical_signed_credential() -> None:
    signed = credential()

    assert credential_sha256(signed) == hashlib.sha256(rfc8785.dumps(signed)).hexdigest()
    assert credential_sha256(signed) != credential_sha256(
        credential(dataclasses.replace(FIELDS, serial_number="SN-000124"))
    )


def test_the_credential_verifies_against_its_issuer() -> None:
    verify_proof(credential(), expected_issuer=ISSUER)


def test_a_changed_certificate_does_not_verify() -> None:
    signed = credential()
    signed["credentialSubject"]["verification"]["verdict"] = "COUNTERFEIT"

    with pytest.raises(CredentialInvalid, match="signature does not verify"):
        verify_proof(signed, expected_issuer=ISSUER)


def test_a_certificate_re_signed_by_another_key_is_not_the_issuers() -> None:
    signed = credential()
    del signed["proof"]
    forged = add_proof(signed, OTHER_KEY, verification_method(OTHER_KEY.public_key()), CREATED)

    with pytest.raises(CredentialInvalid, match=f"issuer {ISSUER} did not sign"):
        verify_proof(forged)
    with pytest.raises(CredentialInvalid, match="not the expected issuer"):
        verify_proof(forged, expected_issuer=ISSUER)


def test_another_issuer_is_not_the_expected_one() -> None:
    other = certificate_credential(FIELDS, OTHER_KEY, CREATED)

    verify_proof(other)
    with pytest.raises(CredentialInvalid, match="not the expected"):
        verify_proof(other, expected_issuer=ISSUER)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"issued_at": datetime(2025, 3, 1)}, "timezone-aware"),
        ({"ai_model_version": None}, "go together"),
        ({"ai_model_name": None}, "go together"),
        ({"ai_score": Decimal("NaN")}, "not a finite decimal"),
    ],
)
def test_fields_that_cannot_make_a_credential_are_refused(
    change: dict[str, Any], reason: str
) -> None:
    with pytest.raises(ValueError, match=reason):
        dataclasses.replace(FIELDS, **change)
