"""When a failed job runs again: exponential backoff up to a cap, a bounded number of tries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from infra.settings import Settings
from streams.jobs.job import Job


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    base_s: float = 1.0
    cap_s: float = 300.0
    max_attempts: int = 5

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        return cls(
            settings.job_backoff_base_s, settings.job_backoff_cap_s, settings.job_max_attempts
        )

    def delay_s(self, failed_attempt: int) -> float:
        """Wait after the `failed_attempt`-th execution failed: base, 2*base, 4*base, ... cap.
        No jitter: retries are spread by their own failure times, and a deterministic delay
        keeps the schedule testable."""
        exponent = min(failed_attempt - 1, 62)  # 2**63 s is past any cap; avoid huge floats
        return float(min(self.cap_s, self.base_s * (2**exponent)))

    def is_exhausted(self, job: Job) -> bool:
        return job.attempt >= self.max_attempts

    def next_attempt(self, job: Job, error: str, now: datetime) -> Job:
        return job.retried(error, now + timedelta(seconds=self.delay_s(job.attempt)))
