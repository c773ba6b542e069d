"""Issuing a certificate signs its credential: the event carries the credential's canonical
text and SHA-256, the credential states the event's fields at the event's time, and it
verifies as an eddsa-jcs-2022 credential of the issuer's did:key."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from commands.credentials import CertificateClaims
from commands.messages import IssueCertificate
from domain.certificate import Certificate
from domain.statuses import Verdict
from infra.credentials.certificate_vc import credential_sha256
from infra.credentials.data_integrity import canonical_json, verify_proof
from tests.support.certificate_issuer import fixed_issuer
from tests.unit.handler_support import Cast, only
from tests.unit.support import T0, World, prov

ISSUED_AT = T0 + timedelta(hours=2, microseconds=123456)


def issued_event(world: World, cast: Cast) -> Certificate.Issued:
    product_id, _ = world.verified(cast.maker, Verdict.AUTHENTIC, cast.inspector)
    attempt = world.run(IssueCertificate(product_id=product_id), cast.inspector, ISSUED_AT)
    return only(attempt.events, Certificate.Issued)


def test_the_issued_event_carries_a_credential_that_verifies_by_the_issuer() -> None:
    event = issued_event(World(), Cast())

    assert event.credential is not None
    credential = json.loads(event.credential)
    verify_proof(credential, expected_issuer=fixed_issuer().did)
    assert credential["issuer"] == fixed_issuer().did
    assert credential["id"] == f"urn:uuid:{event.originator_id}"


def test_the_text_is_canonical_and_its_hash_is_recorded() -> None:
    event = issued_event(World(), Cast())

    assert event.credential is not None
    credential = json.loads(event.credential)
    assert canonical_json(credential) == event.credential.encode()
    assert event.credential_sha256 == hashlib.sha256(event.credential.encode()).hexdigest()
    assert event.credential_sha256 == credential_sha256(credential)


def test_the_credential_is_valid_from_the_events_own_time() -> None:
    event = issued_event(World(), Cast())

    assert event.timestamp == ISSUED_AT
    assert event.credential is not None
    credential = json.loads(event.credential)
    assert credential["validFrom"] == "2030-01-01T14:00:00.123456Z"
    assert credential["proof"]["created"] == credential["validFrom"]


def test_the_credential_states_what_the_event_records() -> None:
    event = issued_event(World(), Cast())

    assert event.credential is not None
    subject = json.loads(event.credential)["credentialSubject"]
    assert subject["id"] == f"urn:uuid:{event.product_id}"
    assert (subject["sku"], subject["serialNumber"]) == (event.sku, event.serial_number)
    assert (subject["manufacturer"], subject["productName"]) == (
        event.manufacturer,
        event.product_name,
    )
    assert subject["verification"] == {
        "id": f"urn:uuid:{event.verification_id}",
        "verdict": "AUTHENTIC",
        "inspector": event.inspector_id,
        "aiScore": "0.87",
        "aiModel": {"name": "vera-cnn", "version": "1.4.0"},
    }


def test_the_same_claims_sign_the_same_bytes() -> None:
    claims = CertificateClaims(
        certificate_id=uuid4(),
        product_id=uuid4(),
        sku="SKU-1",
        serial_number="SN-1",
        manufacturer="Acme",
        product_name="Chronograph",
        verification_id=uuid4(),
        verdict="AUTHENTIC",
        inspector_id="inspector-1",
        ai_score=None,
        ai_model_name=None,
        ai_model_version=None,
        issued_at=ISSUED_AT,
    )
    assert fixed_issuer().issue(claims) == fixed_issuer().issue(claims)


def test_a_refused_issue_signs_nothing_and_records_nothing() -> None:
    cast = Cast()
    world = World()
    product_id, _ = world.verified(cast.maker, Verdict.COUNTERFEIT, cast.inspector)
    assert world.refuse(IssueCertificate(product_id=product_id), cast.inspector).code == (
        "NOT_VERIFIED"
    )


@pytest.mark.parametrize(
    ("credential", "digest", "match"),
    [
        ('{"a":1}', hashlib.sha256(b'{"a":2}').hexdigest(), "not the SHA-256"),
        ('{"a":1}', hashlib.sha256(b'{"a":1}').hexdigest().upper(), "lowercase"),
        ('{"a":1}', "abc", "lowercase"),
    ],
)
def test_the_domain_refuses_a_hash_that_is_not_of_the_credential(
    credential: str, digest: str, match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        Certificate.issue(
            certificate_id=uuid4(),
            product_id=uuid4(),
            sku="S",
            serial_number="N",
            manufacturer="M",
            product_name="P",
            verification_id=uuid4(),
            verdict="AUTHENTIC",
            inspector_id="inspector-1",
            ai_score=Decimal("0.5"),
            ai_model_name="m",
            ai_model_version="1",
            credential=credential,
            credential_sha256=digest,
            prov=prov("inspector-1"),
        )
