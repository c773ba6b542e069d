"""CertificateIssued v1 → v2: certificates issued before credentials existed decode with a
null credential and hash, and project into the read model as such; v2 events keep theirs."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import uuid4

from eventsourcing.persistence import StoredEvent

from domain.certificate import Certificate
from domain.envelope import envelope_of
from projections.read_rows import project
from tests.support.certificate_issuer import issue_with_credential
from tests.unit import test_upcasting as upcasting
from tests.unit.support import prov
from tests.unit.test_upcasting import mapper

NEW_FIELDS = ("credential", "credential_sha256")


def issued_event() -> Certificate.Issued:
    certificate = issue_with_credential(
        certificate_id=uuid4(),
        product_id=uuid4(),
        sku="SKU-7",
        serial_number="SN-7",
        manufacturer="Acme",
        product_name="Chronograph",
        verification_id=uuid4(),
        verdict="AUTHENTIC",
        inspector_id="inspector-1",
        ai_score=Decimal("0.91"),
        ai_model_name="vera-cnn",
        ai_model_version="1.4.0",
        prov=prov("inspector-1"),
    )
    (event,) = certificate.collect_events()
    assert isinstance(event, Certificate.Issued)
    return event


def as_v1(stored: StoredEvent) -> StoredEvent:
    """What a v1 writer stored: no credential, no class_version key."""
    return upcasting.as_v1(stored, NEW_FIELDS)


def test_the_issued_event_is_at_version_two() -> None:
    assert Certificate.Issued.class_version == 2


def test_upcast_v1_v2_adds_a_null_credential_and_keeps_the_rest() -> None:
    state: dict[str, Any] = {"sku": "SKU-7", "ai_score": Decimal("0.91")}

    Certificate.Issued.upcast_v1_v2(state)

    assert state == {
        "sku": "SKU-7",
        "ai_score": Decimal("0.91"),
        "credential": None,
        "credential_sha256": None,
    }


def test_a_v2_event_round_trips_with_its_credential() -> None:
    event = issued_event()
    the_mapper = mapper()

    decoded = the_mapper.to_domain_event(the_mapper.to_stored_event(event))

    assert isinstance(decoded, Certificate.Issued)
    assert vars(decoded) == vars(event)
    assert decoded.credential is not None


def test_a_stored_v1_event_decodes_without_a_credential() -> None:
    event = issued_event()
    the_mapper = mapper()
    stored_v1 = as_v1(the_mapper.to_stored_event(event))
    assert b"credential" not in stored_v1.state

    decoded = the_mapper.to_domain_event(stored_v1)

    assert isinstance(decoded, Certificate.Issued)
    assert (decoded.credential, decoded.credential_sha256) == (None, None)
    assert {k: v for k, v in vars(decoded).items() if k not in NEW_FIELDS} == {
        k: v for k, v in vars(event).items() if k not in NEW_FIELDS
    }
    certificate: Certificate | None = decoded.mutate(None)
    assert isinstance(certificate, Certificate)
    assert certificate.product_id == event.product_id
    assert envelope_of(decoded, position=1)["schema_version"] == 2


def test_the_read_model_keeps_the_credential_or_null_for_v1() -> None:
    event = issued_event()
    the_mapper = mapper()
    v1 = the_mapper.to_domain_event(as_v1(the_mapper.to_stored_event(event)))
    assert isinstance(v1, Certificate.Issued)

    with_credential = project(envelope_of(event, position=1), None)
    without = project(envelope_of(v1, position=1), None)

    assert with_credential is not None
    assert without is not None
    assert with_credential.row["credential"] == event.credential
    assert with_credential.row["credential_sha256"] == event.credential_sha256
    assert (without.row["credential"], without.row["credential_sha256"]) == (None, None)


def test_a_v1_envelope_still_on_a_topic_projects_without_a_credential() -> None:
    envelope = envelope_of(issued_event(), position=1)
    data = envelope["data"]
    assert isinstance(data, dict)
    for name in NEW_FIELDS:
        del data[name]
    envelope["schema_version"] = 1

    projected = project(envelope, None)

    assert projected is not None
    assert projected.row["credential"] is None
