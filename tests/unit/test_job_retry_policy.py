"""Backoff math and the job's wire format."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from streams.jobs.job import MalformedJob, decode_job, new_job
from streams.jobs.retry_policy import RetryPolicy

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def test_delay_doubles_from_the_base_up_to_the_cap() -> None:
    policy = RetryPolicy(base_s=0.5, cap_s=5.0, max_attempts=10)
    assert [policy.delay_s(n) for n in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0]
    assert policy.delay_s(10_000) == 5.0  # no overflow however many attempts


def test_next_attempt_counts_up_and_is_due_after_the_delay() -> None:
    policy = RetryPolicy(base_s=1.0, cap_s=60.0, max_attempts=3)
    job = new_job("k", {"x": 1}, now=NOW)
    retry = policy.next_attempt(policy.next_attempt(job, "first", NOW), "second", NOW)
    assert (retry.attempt, retry.last_error) == (3, "second")
    assert retry.due_at() == NOW + timedelta(seconds=2)
    assert retry.enqueued_at == job.enqueued_at  # the first enqueue, for latency
    assert not policy.is_exhausted(job)
    assert policy.is_exhausted(retry)


def test_a_job_survives_the_wire_and_a_requeue_starts_over() -> None:
    job = RetryPolicy().next_attempt(new_job("k", {"a": [1, "b"]}, job_id="j1"), "boom", NOW)
    assert decode_job(job.encode()) == job
    dead = job.dead("last words")
    again = dead.requeued()
    assert (again.attempt, again.not_before, again.last_error) == (1, None, "last words")


@pytest.mark.parametrize(
    "raw", [b"", b"not json", b"[]", b'{"job_id": "x"}', new_job("k", {}).encode()[:-1]]
)
def test_what_is_not_a_job_is_refused(raw: bytes) -> None:
    with pytest.raises(MalformedJob):
        decode_job(raw)
