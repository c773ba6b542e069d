"""`verachain bench jobs`: no-op jobs through the real job topics and Faust agents.

One warm-up job waits for the worker's group to join. Then two phases:
1. paced: PACED jobs enqueued one by one at PACED_RATE per second, well below capacity: the
   enqueue-to-handler latency of a job that does not wait behind others;
2. burst: JOBS jobs enqueued at once; the clock stops when the worker's handler has seen the
   last one (throughput). Their latency is mostly time spent queued behind the burst."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient

from infra.bench.jobs_worker import KIND
from infra.kafka_admin import ensure_topics
from infra.settings import Settings
from streams.jobs.job import new_job
from streams.jobs.job_queue import JobQueue
from streams.jobs.job_topics import job_topic
from streams.topics import job_topic_specs

TARGET_JOBS_PER_S = 500.0
CHUNK = 1000
PACED_RATE = 100.0  # jobs/s: a fifth of the target, a tenth of the measured capacity


async def run_jobs_bench(settings: Settings, jobs: int, paced: int = 500) -> dict[str, Any]:
    assert settings.kafka_bootstrap is not None
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    try:
        await ensure_topics(admin, job_topic_specs([KIND], settings.kafka_partitions))
    finally:
        await admin.close()
    with tempfile.TemporaryDirectory(prefix="verachain-bench-jobs-") as tmp:
        out = Path(tmp) / "figures.json"
        env = {
            **os.environ,
            **settings.to_env(),
            "VERACHAIN_DATA_DIR": tmp,
            "VERACHAIN_WORKER_GROUP": f"bench-jobs-{uuid.uuid4().hex[:8]}",
        }
        worker = subprocess.Popen(  # noqa: S603, ASYNC220 - our own module, polled below
            [
                sys.executable,
                "-m",
                "infra.bench.jobs_worker",
                str(1 + paced + jobs),
                str(out),
                str(1 + paced),
            ],
            env=env,
            cwd=tmp,
            stdout=subprocess.DEVNULL,
        )
        try:
            async with JobQueue(settings) as queue:
                await queue.enqueue(KIND, {"warm_up": True})
                await _wait_for((Path(tmp) / "ready").exists, worker, 90)
                await _enqueue_paced(queue, paced)
                await _wait_for((Path(tmp) / "marked").exists, worker, 60)
                started = time.time()
                for first in range(0, jobs, CHUNK):
                    batch = [
                        new_job(KIND, {"n": n}) for n in range(first, min(jobs, first + CHUNK))
                    ]
                    await queue.send_many(job_topic(KIND), batch)
                enqueued_s = time.time() - started
            await _wait_for(out.exists, worker, 300)
            figures = json.loads(out.read_text())
        finally:
            if worker.poll() is None:
                worker.kill()
            worker.wait()
    arrived = figures["latencies_s"]
    paced_latencies = sorted(arrived[1 : 1 + paced])  # after the warm-up job
    latencies = sorted(arrived[1 + paced :])
    seconds = figures["last_done"] - started
    rate = jobs / seconds
    return {
        "benchmark": "jobs",
        "jobs": jobs,
        "kind": KIND,
        "partitions": settings.kafka_partitions,
        "enqueue_seconds": round(enqueued_s, 3),
        "seconds": round(seconds, 3),
        "jobs_per_s": round(rate, 1),
        "latency_p50_ms": _percentile_ms(latencies, 0.50),
        "latency_p99_ms": _percentile_ms(latencies, 0.99),
        "paced_jobs": paced,
        "paced_rate_per_s": PACED_RATE,
        "paced_latency_p50_ms": _percentile_ms(paced_latencies, 0.50),
        "paced_latency_p99_ms": _percentile_ms(paced_latencies, 0.99),
        "target_jobs_per_s": TARGET_JOBS_PER_S,
        "met": rate >= TARGET_JOBS_PER_S,
    }


async def _enqueue_paced(queue: JobQueue, count: int) -> None:
    """One job every 1/PACED_RATE s, on a fixed schedule (no drift from slow sends)."""
    start = time.monotonic()
    for n in range(count):
        delay = start + n / PACED_RATE - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        await queue.send(job_topic(KIND), new_job(KIND, {"paced": n}))


def _percentile_ms(sorted_seconds: list[float], fraction: float) -> float:
    if not sorted_seconds:
        return 0.0
    return round(sorted_seconds[int(fraction * (len(sorted_seconds) - 1))] * 1000, 1)


async def _wait_for(done: Any, worker: subprocess.Popen[bytes], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not done():
        if worker.poll() is not None:
            raise RuntimeError(f"the bench job worker exited with {worker.returncode}")
        if time.monotonic() > deadline:
            raise TimeoutError("the bench job worker did not finish in time")
        await asyncio.sleep(0.05)
