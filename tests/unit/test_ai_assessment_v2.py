"""AIAssessmentRecorded v2: quality grade, OCR text and serial match, every model used and
the evidence scored; their rules, and the v1 → v2 upcaster on stored events and envelopes."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest

from domain.envelope import envelope_of, upcast_envelope
from domain.errors import ValidationFailed
from domain.verification import MAX_MODELS, MAX_OCR_TEXT, ModelRef, Verification
from tests.unit.support import image_hash, pending, prov, saved
from tests.unit.test_upcasting import as_v1, mapper

V2_FIELDS = ("quality_grade", "ocr_text", "serial_match", "models", "input_hashes")
AUTHENTICITY_SHA = "a" * 64


def fresh(*hashes: str) -> Verification:
    return saved(
        Verification.request(
            verification_id=uuid4(),
            product_id=uuid4(),
            image_hashes=list(hashes or (image_hash(),)),
            notes="",
            prov=prov("owner"),
        )
    )


def authenticity() -> ModelRef:
    return {"name": "vera-auth", "version": "1.0.0", "sha256": AUTHENTICITY_SHA}


def assess(verification: Verification, **overrides: Any) -> Verification.AIAssessmentRecorded:
    arguments: dict[str, Any] = {
        "authenticity_score": Decimal("0.91"),
        "model_name": "vera-auth",
        "model_version": "1.0.0",
        "model_sha256": AUTHENTICITY_SHA,
        "prov": prov("system-ai"),
    }
    arguments.update(overrides)
    verification.record_ai_assessment(**arguments)
    (event,) = pending(verification)
    assert isinstance(event, Verification.AIAssessmentRecorded)
    return event


def test_the_event_is_at_version_two() -> None:
    assert Verification.AIAssessmentRecorded.class_version == 2


def test_every_v2_field_is_recorded() -> None:
    front, back = image_hash(), image_hash()
    quality: ModelRef = {"name": "vera-grade", "version": "2", "sha256": "b" * 64}
    ocr: ModelRef = {"name": "ppocr-v5", "version": "5.0", "sha256": "c" * 64}

    event = assess(
        fresh(front, back),
        quality_grade=4,
        ocr_text="  SN-000123  ",
        serial_match=True,
        models=[authenticity(), quality, ocr],
        input_hashes=[back],
    )

    assert event.quality_grade == 4
    assert event.ocr_text == "SN-000123"
    assert event.serial_match is True
    assert event.models == [authenticity(), quality, ocr]
    assert event.input_hashes == [back]


def test_without_the_new_fields_the_authenticity_model_is_the_only_one() -> None:
    event = assess(fresh())

    assert (event.quality_grade, event.ocr_text, event.serial_match) == (None, None, None)
    assert event.models == [authenticity()]
    assert event.input_hashes == []


def test_empty_ocr_text_is_a_finding_of_its_own() -> None:
    event = assess(fresh(), ocr_text="", serial_match=False)

    assert (event.ocr_text, event.serial_match) == ("", False)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"quality_grade": 0}, "qualityGrade"),
        ({"quality_grade": 6}, "qualityGrade"),
        ({"quality_grade": True}, "qualityGrade"),
        ({"ocr_text": "x" * (MAX_OCR_TEXT + 1)}, "ocrText"),
        ({"serial_match": True}, "serialMatch"),
        ({"input_hashes": ["not-a-hash"]}, "inputHashes"),
        ({"input_hashes": ["A" * 64]}, "inputHashes"),
        ({"models": []}, "models"),
        ({"models": [{"name": "vera-auth", "version": "1.0.0"}]}, "models"),
        ({"models": [{**authenticity(), "extra": "x"}]}, "models"),
        ({"models": [{**authenticity(), "version": 1}]}, "model"),
        ({"models": [{**authenticity(), "sha256": "z" * 64}]}, "modelSha256"),
        ({"models": [{**authenticity(), "name": " "}]}, "modelName"),
        ({"models": [authenticity(), authenticity()]}, "models"),
        ({"models": [{**authenticity(), "version": "9"}]}, "models"),
        ({"models": [authenticity()] * (MAX_MODELS + 1)}, "models"),
    ],
)
def test_bad_v2_fields_are_refused_with_the_field_named(
    overrides: dict[str, Any], field: str
) -> None:
    verification = fresh()

    with pytest.raises(ValidationFailed) as refused:
        assess(verification, **overrides)

    assert refused.value.details["field"] == field
    assert pending(verification) == []


def test_input_hashes_must_be_this_verifications_evidence() -> None:
    verification = fresh(image_hash())
    stranger = image_hash()

    with pytest.raises(ValidationFailed) as refused:
        assess(verification, input_hashes=[stranger])

    assert refused.value.details == {"field": "inputHashes", "unknown": [stranger]}


def test_input_hashes_may_not_repeat() -> None:
    front = image_hash()

    with pytest.raises(ValidationFailed, match="twice"):
        assess(fresh(front), input_hashes=[front, front])


# -- upcasting -------------------------------------------------------------------------------


def test_upcast_v1_v2_adds_empty_findings_and_the_one_model_v1_named() -> None:
    state: dict[str, Any] = {
        "authenticity_score": Decimal("0.5"),
        "model_name": "vera-cnn",
        "model_version": "1.4.0",
        "model_sha256": AUTHENTICITY_SHA,
    }

    Verification.AIAssessmentRecorded.upcast_v1_v2(state)

    assert state == {
        "authenticity_score": Decimal("0.5"),
        "model_name": "vera-cnn",
        "model_version": "1.4.0",
        "model_sha256": AUTHENTICITY_SHA,
        "quality_grade": None,
        "ocr_text": None,
        "serial_match": None,
        "models": [{"name": "vera-cnn", "version": "1.4.0", "sha256": AUTHENTICITY_SHA}],
        "input_hashes": [],
    }


def test_a_stored_v1_event_loads_as_v2() -> None:
    event = assess(fresh(), quality_grade=3)
    codec = mapper()
    stored = as_v1(codec.to_stored_event(event), added_in_v2=V2_FIELDS)

    loaded = codec.to_domain_event(stored)

    assert isinstance(loaded, Verification.AIAssessmentRecorded)
    assert loaded.quality_grade is None
    assert loaded.models == [authenticity()]
    assert loaded.input_hashes == []
    assert loaded.authenticity_score == Decimal("0.91")


def test_a_v1_envelope_upcasts_to_json_ready_v2_data() -> None:
    envelope = json.loads(json.dumps(envelope_of(assess(fresh(), ocr_text="SN-1"), 7)))
    v1 = {
        **envelope,
        "schema_version": 1,
        "data": {k: v for k, v in envelope["data"].items() if k not in V2_FIELDS},
    }

    upcast = upcast_envelope(v1)

    assert upcast["schema_version"] == 2
    assert upcast["data"]["models"] == [
        {"name": "vera-auth", "version": "1.0.0", "sha256": AUTHENTICITY_SHA}
    ]
    assert upcast["data"]["ocr_text"] is None
    assert upcast["data"]["input_hashes"] == []
    assert upcast["data"]["authenticity_score"] == "0.91"
    assert json.loads(json.dumps(upcast)) == upcast  # nothing but JSON values
