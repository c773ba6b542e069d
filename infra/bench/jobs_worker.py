"""`python -m infra.bench.jobs_worker EXPECTED OUT [MARK]`: the job agents with one no-op
kind whose handler only notes when each job arrived. After MARK jobs it touches the file
`marked` beside OUT (the bench's paced phase is done); after EXPECTED jobs it writes, as
JSON to the file OUT, each job's enqueue-to-handler latency and the time of the last one (a
file: a Faust worker redirects its standard output), then exits."""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from infra.settings import Settings
from streams.jobs.job import Job
from streams.jobs.registry import JobRegistry
from streams.jobs.standalone import run_jobs_worker

KIND = "bench-noop"


def noop_registry(expected: int, out: Path, mark: int = 0) -> JobRegistry:
    latencies: list[float] = []

    async def noop(job: Job) -> None:
        arrived = datetime.now(UTC)
        latencies.append((arrived - datetime.fromisoformat(job.enqueued_at)).total_seconds())
        if len(latencies) == 1:
            (out.parent / "ready").touch()  # the first (warm-up) job: the group has joined
        if len(latencies) == mark:
            (out.parent / "marked").touch()
        if len(latencies) >= expected:
            figures = json.dumps({"latencies_s": latencies, "last_done": time.time()})
            out.write_text(figures)  # noqa: ASYNC240 - the last act before exiting
            os._exit(0)  # measured; Faust's orderly shutdown takes seconds

    registry = JobRegistry()
    registry.register_function(KIND, noop)
    return registry


if __name__ == "__main__":
    expected, out = int(sys.argv[1]), Path(sys.argv[2])
    mark = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    registry = noop_registry(expected, out, mark)
    run_jobs_worker(Settings.from_env(), registry, "verachain-bench-jobs")
