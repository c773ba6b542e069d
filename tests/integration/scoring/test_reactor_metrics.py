"""`verachain reactor` serves the job metrics of its kinds on VERACHAIN_REACTOR_METRICS_PORT:
an ai-analysis job that cannot succeed shows as two retries, then dead."""

from __future__ import annotations

import asyncio
import urllib.request
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from infra.cli.topics_command import create_topics
from infra.kafka_broker import free_port
from infra.settings import Settings
from streams.jobs.job_queue import JobQueue
from streams.jobs.job_topics import AI_ANALYSIS
from tests.integration.jobs.conftest import eventually, job_env
from tests.integration.scoring.conftest import Spawn
from tests.support.database import TestDatabase
from tests.support.kafka import KafkaTarget


def job_samples(port: int) -> dict[str, float] | None:
    """ai-analysis samples as name/outcome; None while the endpoint is not up."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
            text = answer.read().decode()
    except OSError:
        return None
    return {
        f"{sample.name}/{sample.labels.get('outcome', '')}": sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.labels.get("kind") == AI_ANALYSIS and "le" not in sample.labels
    }


async def test_the_reactor_counts_its_jobs_on_its_metrics_port(
    test_database: TestDatabase,
    kafka: KafkaTarget,
    redis_url: str,
    group: str,
    spawn: Spawn,
    tmp_path: Path,
) -> None:
    await create_topics(kafka.bootstrap, 3)
    port = free_port()
    env = job_env(test_database, kafka, group, tmp_path, VERACHAIN_REDIS_URL=redis_url)
    env["VERACHAIN_REACTOR_METRICS_PORT"] = str(port)
    spawn(["infra.cli", "reactor"], env)
    async with JobQueue(Settings.from_env(env)) as queue:
        await queue.enqueue(AI_ANALYSIS, {})  # no verification id: fails on every attempt

    async def dead() -> dict[str, float] | None:
        samples = await asyncio.to_thread(job_samples, port)
        return samples if samples and samples.get("verachain_job_runs_total/dead") else None

    samples = await eventually(dead, "the dead ai-analysis job on the reactor's metrics", 120)
    assert samples["verachain_job_runs_total/dead"] == 1
    assert samples["verachain_job_runs_total/retried"] == 2
    assert samples["verachain_job_run_seconds_count/"] == 3
    assert samples["verachain_job_retry_wait_seconds_count/"] == 2
