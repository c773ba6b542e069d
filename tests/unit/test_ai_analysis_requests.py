"""VerificationRequested envelopes -> ai-analysis jobs (streams/ai_analysis/analysis_requests)."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID, uuid4

import pytest

from streams.ai_analysis.analysis_requests import analysis_job_for
from streams.jobs.job_topics import AI_ANALYSIS

HASHES = ["a" * 64, "b" * 64]


def requested(**changes: Any) -> dict[str, Any]:
    envelope: dict[str, Any] = {
        "event_id": str(uuid4()),
        "type": "VerificationRequested",
        "schema_version": 1,
        "aggregate_type": "Verification",
        "aggregate_id": str(uuid4()),
        "aggregate_version": 1,
        "position": 42,
        "occurred_at": "2026-11-27T07:00:00.000000Z",
        "data": {
            "product_id": str(uuid4()),
            "requested_by": "maker-1",
            "image_hashes": HASHES,
            "notes": "",
        },
        "metadata": {"actor": "maker-1", "correlation_id": str(uuid4()), "causation_id": None},
    }
    envelope.update(changes)
    return envelope


def encoded(envelope: dict[str, Any]) -> bytes:
    return json.dumps(envelope).encode()


def test_a_request_becomes_a_job_naming_the_verification_its_images_and_its_cause() -> None:
    envelope = requested()

    job = analysis_job_for(encoded(envelope))

    assert job is not None
    assert (job.kind, job.attempt, job.not_before) == (AI_ANALYSIS, 1, None)
    assert job.payload == {
        "verification_id": envelope["aggregate_id"],
        "product_id": envelope["data"]["product_id"],
        "image_hashes": HASHES,
        "event_id": envelope["event_id"],
        "correlation_id": envelope["metadata"]["correlation_id"],
    }
    UUID(job.job_id)


def test_the_same_event_always_makes_the_same_job_id_and_another_event_another() -> None:
    envelope = requested()

    first, again = analysis_job_for(encoded(envelope)), analysis_job_for(encoded(envelope))
    other = analysis_job_for(encoded(requested()))

    assert first is not None
    assert again is not None
    assert other is not None
    assert first.job_id == again.job_id  # a redelivered event: the handler finds it done
    assert other.job_id != first.job_id
    assert first.job_id != first.payload["event_id"]  # namespaced, not the event's own id


@pytest.mark.parametrize(
    "value",
    [
        encoded(requested(type="ProductRegistered")),
        encoded(requested(type="AIAssessmentRecorded")),
        b"not json",
        b"[1, 2]",
        b"",
    ],
)
def test_other_events_and_unreadable_messages_make_no_job(value: bytes) -> None:
    assert analysis_job_for(value) is None


@pytest.mark.parametrize(
    "broken",
    [
        {"data": {"requested_by": "x", "image_hashes": HASHES, "notes": ""}},  # no product
        {"data": {"product_id": str(uuid4()), "image_hashes": None, "notes": ""}},
        {"metadata": {}},  # no correlation id
    ],
)
def test_a_request_missing_what_the_job_needs_makes_no_job(broken: dict[str, Any]) -> None:
    # The projector reads the same topic and dead-letters it; this agent must not stop on it.
    assert analysis_job_for(encoded(requested(**broken))) is None
