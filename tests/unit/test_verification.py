"""Verification: evidence rules, then one AI assessment, then one inspector's verdict."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest

from domain.errors import InvalidTransition, ValidationFailed
from domain.statuses import Verdict, VerificationStage
from domain.verification import MAX_EVIDENCE_IMAGES, Verification
from tests.unit.support import assessed, event_types, image_hash, pending, prov, saved, uid


def request(hashes: list[str], notes: str = "", actor: str | None = None) -> Verification:
    return Verification.request(
        verification_id=uuid4(),
        product_id=uuid4(),
        image_hashes=hashes,
        notes=notes,
        prov=prov(actor or uid("owner")),
    )


def fresh() -> Verification:
    return saved(request([image_hash()]))


def assess(verification: Verification, **overrides: Any) -> None:
    arguments: dict[str, Any] = {
        "authenticity_score": Decimal("0.5"),
        "model_name": "vera-cnn",
        "model_version": "1.4.0",
        "model_sha256": image_hash(),
        "prov": prov("system-ai"),
    }
    arguments.update(overrides)
    verification.record_ai_assessment(**arguments)


# -- request ---------------------------------------------------------------------------------


def test_request_records_the_evidence_and_the_requester() -> None:
    owner = uid("owner")
    hashes = [image_hash(), image_hash()]

    verification = request(hashes, notes="  scratched case  ", actor=owner)

    events = pending(verification)
    assert event_types(events) == ["Requested"]
    event = events[0]
    assert isinstance(event, Verification.Requested)
    assert event.image_hashes == hashes
    assert event.requested_by == owner
    assert event.notes == "scratched case"
    assert verification.stage is VerificationStage.AWAITING_AI
    assert verification.verdict is None


@pytest.mark.parametrize("count", [1, MAX_EVIDENCE_IMAGES])
def test_request_accepts_between_one_and_twenty_images(count: int) -> None:
    hashes = [image_hash() for _ in range(count)]
    assert request(hashes).image_hashes == hashes


@pytest.mark.parametrize("count", [0, MAX_EVIDENCE_IMAGES + 1])
def test_request_refuses_too_few_or_too_many_images(count: int) -> None:
    with pytest.raises(ValidationFailed) as caught:
        request([image_hash() for _ in range(count)])
    assert caught.value.code == "VALIDATION_FAILED"
    assert caught.value.details["field"] == "imageHashes"


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "a" * 63,
        "a" * 65,
        "A" * 64,
        "g" * 64,
        " " + "a" * 63,
        "a" * 32 + "-" + "a" * 31,
    ],
    ids=["empty", "63-chars", "65-chars", "uppercase", "not-hex", "space", "dash"],
)
def test_request_refuses_an_image_hash_that_is_not_64_lowercase_hex(bad: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        request([image_hash(), bad])
    assert caught.value.details["field"] == "imageHashes"


def test_request_refuses_a_hash_with_a_trailing_newline() -> None:
    with pytest.raises(ValidationFailed):
        request([image_hash() + "\n"])


def test_request_refuses_the_same_image_disguised_with_a_newline() -> None:
    digest = image_hash()
    with pytest.raises(ValidationFailed):
        request([digest, digest + "\n"])


def test_request_refuses_the_same_image_twice() -> None:
    digest = image_hash()
    with pytest.raises(ValidationFailed) as caught:
        request([digest, image_hash(), digest])
    assert caught.value.details["field"] == "imageHashes"


def test_request_accepts_notes_up_to_2000_characters_and_refuses_longer() -> None:
    assert request([image_hash()], notes="n" * 2000).notes == "n" * 2000
    with pytest.raises(ValidationFailed) as caught:
        request([image_hash()], notes="n" * 2001)
    assert caught.value.details["field"] == "notes"


# -- AI assessment ---------------------------------------------------------------------------


def test_ai_assessment_is_recorded_and_awaits_inspection() -> None:
    verification = fresh()
    model_hash = image_hash()

    assess(
        verification,
        authenticity_score=Decimal("0.91"),
        model_name=" vera-cnn ",
        model_sha256=model_hash,
    )

    events = pending(verification)
    assert event_types(events) == ["AIAssessmentRecorded"]
    event = events[0]
    assert isinstance(event, Verification.AIAssessmentRecorded)
    assert event.authenticity_score == Decimal("0.91")
    assert event.model_name == "vera-cnn"
    assert event.model_sha256 == model_hash
    assert verification.stage is VerificationStage.AWAITING_INSPECTION
    assert verification.ai_score == Decimal("0.91")
    assert verification.ai_model_version == "1.4.0"


@pytest.mark.parametrize("score", ["0", "1", "0.0001", "1.000"])
def test_ai_scores_on_the_closed_unit_interval_are_accepted(score: str) -> None:
    verification = fresh()
    assess(verification, authenticity_score=Decimal(score))
    assert verification.ai_score == Decimal(score)


@pytest.mark.parametrize(
    "overrides",
    [
        {"authenticity_score": Decimal("-0.01")},
        {"authenticity_score": Decimal("1.0001")},
        {"authenticity_score": Decimal("NaN")},
        {"authenticity_score": Decimal("sNaN")},
        {"authenticity_score": Decimal("Infinity")},
        {"model_name": "  "},
        {"model_name": "m" * 101},
        {"model_version": ""},
        {"model_sha256": "A" * 64},
        {"model_sha256": "abc"},
    ],
    ids=repr,
)
def test_an_invalid_ai_assessment_is_refused_without_events(overrides: dict[str, Any]) -> None:
    verification = fresh()
    with pytest.raises(ValidationFailed) as caught:
        assess(verification, **overrides)
    assert caught.value.code == "VALIDATION_FAILED"
    assert pending(verification) == []
    assert verification.stage is VerificationStage.AWAITING_AI


def test_a_second_ai_assessment_is_refused() -> None:
    verification = assessed(fresh())
    with pytest.raises(InvalidTransition) as caught:
        assess(verification)
    assert caught.value.code == "VALIDATION_FAILED"
    assert pending(verification) == []


# -- inspection ------------------------------------------------------------------------------


def test_the_verdict_cannot_come_before_the_ai_assessment() -> None:
    verification = fresh()
    with pytest.raises(InvalidTransition):
        verification.record_inspection(verdict=Verdict.AUTHENTIC, notes="", prov=prov("inspector"))
    assert pending(verification) == []
    assert verification.verdict is None


@pytest.mark.parametrize("verdict", list(Verdict))
def test_the_inspector_records_a_verdict_once(verdict: Verdict) -> None:
    verification = assessed(fresh())
    inspector = uid("inspector")

    verification.record_inspection(verdict=verdict, notes=" ok ", prov=prov(inspector))

    events = pending(verification)
    assert event_types(events) == ["InspectionRecorded"]
    event = events[0]
    assert isinstance(event, Verification.InspectionRecorded)
    assert (event.verdict, event.inspector_id, event.notes) == (verdict.value, inspector, "ok")
    assert verification.stage is VerificationStage.CONCLUDED
    assert verification.verdict is verdict
    saved(verification)

    with pytest.raises(InvalidTransition):
        verification.record_inspection(
            verdict=Verdict.AUTHENTIC, notes="", prov=prov(uid("inspector"))
        )
    assert pending(verification) == []
    assert verification.verdict is verdict
    assert verification.inspector_id == inspector


def test_inspection_notes_longer_than_2000_characters_are_refused() -> None:
    verification = assessed(fresh())
    with pytest.raises(ValidationFailed):
        verification.record_inspection(
            verdict=Verdict.AUTHENTIC, notes="n" * 2001, prov=prov("inspector")
        )
    assert pending(verification) == []
    assert verification.stage is VerificationStage.AWAITING_INSPECTION
