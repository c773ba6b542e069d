"""A job as it travels on Kafka: UTF-8 JSON, keyed by its id."""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import Any


class MalformedJob(ValueError):
    """A message on a job topic that is not a job (never retried: it cannot get better)."""


@dataclass(frozen=True, slots=True)
class Job:
    job_id: str
    kind: str
    payload: dict[str, Any]
    attempt: int  # 1 for the first execution, +1 per retry
    not_before: str | None  # ISO 8601 UTC; None: due now
    enqueued_at: str  # ISO 8601 UTC of the first enqueue (kept across retries)
    last_error: str | None = None

    @property
    def key(self) -> bytes:
        # Keyed by id: every copy of one job (a redelivery, a re-queue) lands on the same
        # partition, so one consumer sees them in order.
        return self.job_id.encode()

    def encode(self) -> bytes:
        return json.dumps(asdict(self), separators=(",", ":")).encode()

    def due_at(self) -> datetime | None:
        return datetime.fromisoformat(self.not_before) if self.not_before else None

    def retried(self, error: str, not_before: datetime) -> Job:
        return replace(self, attempt=self.attempt + 1, not_before=iso(not_before), last_error=error)

    def dead(self, error: str) -> Job:
        """Out of attempts: `attempt` says how many ran, `last_error` what the last said."""
        return replace(self, not_before=None, last_error=error)

    def requeued(self) -> Job:
        """A dead job sent back for a fresh series of attempts (its last error kept)."""
        return replace(self, attempt=1, not_before=None)


def new_job(
    kind: str, payload: dict[str, Any], *, job_id: str | None = None, now: datetime | None = None
) -> Job:
    """A first attempt. Pass a deterministic `job_id` to make re-enqueueing idempotent."""
    moment = now or datetime.now(UTC)
    return Job(job_id or str(uuid.uuid4()), kind, payload, 1, None, iso(moment))


def decode_job(raw: bytes | None) -> Job:
    try:
        data = json.loads(raw or b"")
        job = Job(
            job_id=str(data["job_id"]),
            kind=str(data["kind"]),
            payload=dict(data["payload"]),
            attempt=int(data["attempt"]),
            not_before=data.get("not_before"),
            enqueued_at=str(data["enqueued_at"]),
            last_error=data.get("last_error"),
        )
    except (ValueError, KeyError, TypeError) as e:
        msg = f"not a job message: {type(e).__name__}: {e}"
        raise MalformedJob(msg) from e
    if job.attempt < 1:
        raise MalformedJob(f"job {job.job_id}: attempt must be >= 1, got {job.attempt}")
    return job


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
