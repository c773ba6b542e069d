"""What the job runner records per kind: runs by outcome, run time, retry-topic wait. A fake
handler and a queue that keeps what it is sent (no broker)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import CollectorRegistry

from streams.jobs.job import Job, new_job
from streams.jobs.job_metrics import JobMetrics
from streams.jobs.job_queue import JobQueue
from streams.jobs.registry import JobRejected
from streams.jobs.retry_policy import RetryPolicy
from streams.jobs.runner import JobRunner, Outcome

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
POLICY = RetryPolicy(base_s=1.0, cap_s=60.0, max_attempts=3)


class KeptQueue(JobQueue):
    """Keeps (topic, job) instead of publishing; `refuse` makes every send fail."""

    def __init__(self, *, refuse: bool = False) -> None:  # no producer: nothing to start
        self.sent: list[tuple[str, Job]] = []
        self.refuse = refuse

    async def send(self, topic: str, job: Job) -> None:
        if self.refuse:
            raise ConnectionError("broker unavailable")
        self.sent.append((topic, job))


def runner(
    handler_error: Exception | None = None, *, queue: JobQueue | None = None, pause_s: float = 0
) -> tuple[JobRunner, CollectorRegistry]:
    async def handler(job: Job) -> None:
        await asyncio.sleep(pause_s)
        if handler_error is not None:
            raise handler_error

    registry = CollectorRegistry()
    job_runner = JobRunner(
        handler, POLICY, queue or KeptQueue(), clock=lambda: NOW, metrics=JobMetrics(registry)
    )
    return job_runner, registry


def runs(registry: CollectorRegistry, kind: str, outcome: str) -> float:
    value = registry.get_sample_value(
        "verachain_job_runs_total", {"kind": kind, "outcome": outcome}
    )
    return value or 0.0


def timed(registry: CollectorRegistry, name: str, kind: str) -> tuple[float, float]:
    """(count, sum) of a histogram for a kind."""
    count = registry.get_sample_value(f"{name}_count", {"kind": kind}) or 0.0
    total = registry.get_sample_value(f"{name}_sum", {"kind": kind}) or 0.0
    return count, total


async def test_a_job_that_succeeds_is_counted_and_timed() -> None:
    job_runner, registry = runner(pause_s=0.05)
    assert await job_runner.run(new_job("mail", {}, now=NOW)) is Outcome.DONE
    assert runs(registry, "mail", "succeeded") == 1
    assert runs(registry, "mail", "retried") == 0
    count, seconds = timed(registry, "verachain_job_run_seconds", "mail")
    assert count == 1
    assert 0.05 <= seconds < 5


async def test_failures_count_as_retried_then_dead_and_are_timed_too() -> None:
    queue = KeptQueue()
    job_runner, registry = runner(RuntimeError("SMTP down"), queue=queue)
    job = new_job("mail", {}, now=NOW)
    for _ in range(POLICY.max_attempts - 1):
        assert await job_runner.run(job) is Outcome.RETRY
        job = queue.sent[-1][1]
    assert await job_runner.run(job) is Outcome.DEAD
    assert [topic for topic, _ in queue.sent] == [
        "verachain.jobs.mail.retry",
        "verachain.jobs.mail.retry",
        "verachain.jobs.mail.dead",
    ]
    assert (runs(registry, "mail", "retried"), runs(registry, "mail", "dead")) == (2, 1)
    assert runs(registry, "mail", "succeeded") == 0
    assert timed(registry, "verachain_job_run_seconds", "mail")[0] == 3


async def test_a_rejected_job_is_dead_at_once_and_kinds_are_counted_apart() -> None:
    job_runner, registry = runner(JobRejected("no such subject"))
    assert await job_runner.run(new_job("report", {}, now=NOW)) is Outcome.DEAD
    assert runs(registry, "report", "dead") == 1
    assert runs(registry, "report", "retried") == 0
    assert runs(registry, "mail", "dead") == 0


async def test_a_failure_the_broker_did_not_take_is_not_counted() -> None:
    # The job's offset is not committed, so it runs (and is counted) again.
    job_runner, registry = runner(RuntimeError("SMTP down"), queue=KeptQueue(refuse=True))
    with pytest.raises(ConnectionError):
        await job_runner.run(new_job("mail", {}, now=NOW))
    assert runs(registry, "mail", "retried") == 0
    assert timed(registry, "verachain_job_run_seconds", "mail")[0] == 0


def test_retry_wait_is_from_the_records_timestamp_to_the_start_of_the_run() -> None:
    job_runner, registry = runner()
    job = new_job("mail", {}, now=NOW).retried("boom", NOW)
    published = (NOW - timedelta(seconds=4.5)).timestamp()
    job_runner.retry_starting(job, published)
    assert timed(registry, "verachain_job_retry_wait_seconds", "mail") == (1, 4.5)
    # A publisher's clock ahead of ours is no wait at all; no timestamp, no sample.
    job_runner.retry_starting(job, (NOW + timedelta(seconds=2)).timestamp())
    job_runner.retry_starting(job, None)
    assert timed(registry, "verachain_job_retry_wait_seconds", "mail") == (2, 4.5)
    assert (
        registry.get_sample_value(
            "verachain_job_retry_wait_seconds_bucket", {"kind": "mail", "le": "8.0"}
        )
        == 2
    )


async def test_a_runner_without_metrics_records_nothing_and_still_runs() -> None:
    job_runner = JobRunner(lambda job: asyncio.sleep(0), POLICY, KeptQueue(), clock=lambda: NOW)
    assert await job_runner.run(new_job("mail", {}, now=NOW)) is Outcome.DONE
    job_runner.retry_starting(new_job("mail", {}, now=NOW), NOW.timestamp())
