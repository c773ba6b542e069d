"""Prometheus metrics of the job agents, per kind, in a registry the process owns (served by
`verachain worker` and `verachain reactor` on their metrics ports)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

SUCCEEDED, RETRIED, DEAD = "succeeded", "retried", "dead"

# From a notification's few milliseconds to a backup's minutes.
RUN_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800)
# Around the backoff schedule (1 s doubling up to a 300 s cap by default), and beyond it
# for retries held up behind others on their partition.
WAIT_BUCKETS = (0.1, 0.5, 1, 2, 4, 8, 16, 32, 64, 128, 300, 600, 1800)


class JobMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.runs = Counter(
            "verachain_job_runs",
            "Job executions by kind and outcome: succeeded; retried (failed, sent to the "
            "retry topic); dead (sent to the dead-letter topic: out of attempts, rejected, "
            "or a message that is not a job)",
            ["kind", "outcome"],
            registry=registry,
        )
        self.run_seconds = Histogram(
            "verachain_job_run_seconds",
            "Time a job's handler took, by kind (every execution, failed ones too)",
            ["kind"],
            buckets=RUN_BUCKETS,
            registry=registry,
        )
        self.retry_wait_seconds = Histogram(
            "verachain_job_retry_wait_seconds",
            "Time a retry spent on its kind's retry topic: from the failed attempt that "
            "published it to the start of its run (the backoff, plus any wait behind "
            "other retries)",
            ["kind"],
            buckets=WAIT_BUCKETS,
            registry=registry,
        )

    def ran(self, kind: str, outcome: str, seconds: float | None) -> None:
        """One execution (seconds None: nothing ran, e.g. a malformed message)."""
        self.runs.labels(kind, outcome).inc()
        if seconds is not None:
            self.run_seconds.labels(kind).observe(seconds)

    def retry_waited(self, kind: str, seconds: float) -> None:
        # Wall clocks of two hosts (the publisher's record timestamp, this one's now):
        # a skew could make it negative, which is no wait at all.
        self.retry_wait_seconds.labels(kind).observe(max(0.0, seconds))
