"""VerificationRequested -> an ai-analysis job. Stateless: the job id derives from the event
id, so a replayed or redelivered event enqueues the same job again, which the handler then
finds done (the verification already has its assessment)."""

from __future__ import annotations

import json
import logging
from typing import Any
from uuid import NAMESPACE_URL, uuid5

from domain.envelope import upcast_envelope
from streams.jobs.job import Job, new_job
from streams.jobs.job_topics import AI_ANALYSIS

log = logging.getLogger(__name__)

REQUESTED = "VerificationRequested"
_JOB_NAMESPACE = uuid5(NAMESPACE_URL, "https://verachain.example/jobs/ai-analysis")


def analysis_job_for(value: bytes) -> Job | None:
    """The job a product-topic message asks for, or None (other events, malformed messages:
    those are the projector's to dead-letter, it reads the same topic)."""
    try:
        envelope = json.loads(value)
    except ValueError:
        return None
    if not isinstance(envelope, dict) or envelope.get("type") != REQUESTED:
        return None
    try:
        current: dict[str, Any] = upcast_envelope(envelope)
        data = current["data"]
        event_id = str(current["event_id"])
        payload: dict[str, Any] = {
            "verification_id": str(current["aggregate_id"]),
            "product_id": str(data["product_id"]),
            "image_hashes": [str(h) for h in data["image_hashes"]],
            "event_id": event_id,
            "correlation_id": str(current["metadata"]["correlation_id"]),
        }
    except (KeyError, TypeError, ValueError) as e:
        # Not this agent's to stop on: the projector dead-letters what it cannot read.
        log.warning("VerificationRequested without %s: no ai-analysis job", e)
        return None
    job_id = str(uuid5(_JOB_NAMESPACE, event_id))
    return new_job(AI_ANALYSIS, payload, job_id=job_id)
