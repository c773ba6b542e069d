"""One execution of a job and where it goes next: done, the retry topic, or dead letters."""

from __future__ import annotations

import asyncio
import enum
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

from streams.jobs.job import Job
from streams.jobs.job_metrics import DEAD, RETRIED, SUCCEEDED, JobMetrics
from streams.jobs.job_queue import JobQueue
from streams.jobs.job_topics import dead_topic, retry_topic
from streams.jobs.registry import JobHandler, JobRejected
from streams.jobs.retry_policy import RetryPolicy

log = logging.getLogger(__name__)

MAX_ERROR_CHARS = 2000


class Outcome(enum.Enum):
    DONE = "done"
    RETRY = "retry"
    DEAD = "dead"


class JobRunner:
    def __init__(
        self,
        handler: JobHandler,
        policy: RetryPolicy,
        queue: JobQueue,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        metrics: JobMetrics | None = None,
    ) -> None:
        self.handler = handler
        self.policy = policy
        self.queue = queue
        self.clock = clock
        self.metrics = metrics

    async def run(self, job: Job) -> Outcome:
        """Run the handler once. A failure is published onward (and acknowledged by the
        broker) before this returns, so the caller may then commit the job's offset:
        a crash in between re-runs the job, never loses it (at-least-once)."""
        started = time.perf_counter()
        try:
            await self.handler(job)
        except Exception as e:  # cancellation is not caught
            elapsed = time.perf_counter() - started
            error = f"{type(e).__name__}: {e}"[:MAX_ERROR_CHARS]
            # A rejected job would fail the same way on every attempt: no retries.
            if isinstance(e, JobRejected) or self.policy.is_exhausted(job):
                log.warning(
                    "job %s (%s) dead after %d attempts: %s",
                    job.job_id,
                    job.kind,
                    job.attempt,
                    error,
                )
                await self.queue.send(dead_topic(job.kind), job.dead(error))
                self._count(job, DEAD, elapsed)
                return Outcome.DEAD
            retry = self.policy.next_attempt(job, error, self.clock())
            log.info(
                "job %s (%s) attempt %d failed, retry at %s: %s",
                job.job_id,
                job.kind,
                job.attempt,
                retry.not_before,
                error,
            )
            await self.queue.send(retry_topic(job.kind), retry)
            self._count(job, RETRIED, elapsed)
            return Outcome.RETRY
        self._count(job, SUCCEEDED, time.perf_counter() - started)
        return Outcome.DONE

    def _count(self, job: Job, outcome: str, seconds: float) -> None:
        # After the onward publish: a retry or dead letter the broker refused raises
        # instead, and the job runs again (it is counted then).
        if self.metrics is not None:
            self.metrics.ran(job.kind, outcome, seconds)

    async def wait_until_due(self, job: Job) -> None:
        """Sleep until the job's `not_before`. Only the retry agent calls this: its topic
        holds nothing but delayed jobs, so waiting here never holds up a first attempt."""
        due = job.due_at()
        if due is not None:
            delay = (due - self.clock()).total_seconds()
            if delay > 0:
                await asyncio.sleep(delay)

    def retry_starting(self, job: Job, published_at: float | None) -> None:
        """Record how long a retry spent on the retry topic, from `published_at` (the
        record's timestamp, epoch seconds) to now, when its run starts."""
        if self.metrics is not None and published_at is not None:
            self.metrics.retry_waited(job.kind, self.clock().timestamp() - published_at)
