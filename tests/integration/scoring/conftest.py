"""A relay, a `verachain worker` and a `verachain reactor` for the scoring agents' tests
(fast job retries)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from infra.relay_runner import run_relay
from infra.settings import Settings
from tests.integration.jobs.conftest import group, job_env, spawn  # noqa: F401 - fixtures
from tests.integration.jobs.test_notifications import wait_for_relay_topics
from tests.support.database import TestDatabase
from tests.support.kafka import KafkaTarget
from tests.support.traffic import stream_settings

Spawn = Callable[[list[str], dict[str, str]], None]


@pytest.fixture
async def running_worker(
    test_database: TestDatabase,
    kafka: KafkaTarget,
    redis_url: str,
    group: str,  # noqa: F811 - the fixture imported above
    spawn: Spawn,  # noqa: F811
    tmp_path: Path,
) -> AsyncIterator[dict[str, str]]:
    """The relay (in this process), a worker and a reactor process; yields their environment."""
    stop = asyncio.Event()
    relay_settings = stream_settings(test_database, kafka.bootstrap, embedded=kafka.embedded)
    relay = asyncio.create_task(run_relay(relay_settings, stop, CollectorRegistry()))
    try:
        await wait_for_relay_topics(kafka.bootstrap)  # the relay makes the job topics too
        env = job_env(test_database, kafka, group, tmp_path, VERACHAIN_REDIS_URL=redis_url)
        spawn(["infra.cli", "worker"], env)
        spawn(["infra.cli", "reactor"], env)
        Settings.from_env(env)  # fail here, not in the worker, on a bad environment
        yield env
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            await relay
