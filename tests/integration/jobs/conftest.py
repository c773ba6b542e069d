"""Worker processes for the job tests, and what the tests wait on."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import TypeVar

import psycopg
import pytest

from tests.support.database import TestDatabase
from tests.support.kafka import KafkaTarget

REPO_ROOT = str(Path(__file__).resolve().parents[3])
T = TypeVar("T")

TEST_TABLES = """
CREATE TABLE IF NOT EXISTS test_jobs_runs (job_id text, attempt int, ok boolean);
CREATE TABLE IF NOT EXISTS test_jobs_effects (job_id text PRIMARY KEY);
CREATE TABLE IF NOT EXISTS test_jobs_fixed (job_id text PRIMARY KEY)
"""

# Fast retries: 0.2 s, 0.4 s, then dead after the third attempt.
FAST_RETRIES = {
    "VERACHAIN_JOB_BACKOFF_BASE_S": "0.2",
    "VERACHAIN_JOB_BACKOFF_CAP_S": "1",
    "VERACHAIN_JOB_MAX_ATTEMPTS": "3",
}


def job_env(
    database: TestDatabase, kafka: KafkaTarget, group: str, data_dir: Path, **extra: str
) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        VERACHAIN_DATA_DIR=str(data_dir),
        VERACHAIN_DATABASE_URL=database.url,
        VERACHAIN_WORKER_GROUP=group,
        VERACHAIN_WORKER_METRICS_PORT="0",
        VERACHAIN_REACTOR_METRICS_PORT="0",
        PYTHONPATH=REPO_ROOT,
        **FAST_RETRIES,
        **kafka.env(),
        **extra,
    )
    return env


@pytest.fixture
def group() -> str:
    return f"test-jobs-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def job_tables(test_database: TestDatabase) -> None:
    with psycopg.connect(test_database.url, autocommit=True) as conn:
        conn.execute(TEST_TABLES)


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Callable[[list[str], dict[str, str]], None]]:
    """Start a process (`python -m ...`) that is stopped with SIGTERM after the test."""
    processes: list[subprocess.Popen[bytes]] = []

    def start(args: list[str], env: dict[str, str]) -> None:
        processes.append(subprocess.Popen([sys.executable, "-m", *args], env=env, cwd=tmp_path))

    yield start
    for process in processes:
        process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def eventually(
    probe: Callable[[], Awaitable[T | None]], what: str, timeout_s: float = 60.0
) -> T:
    """The probe's first non-None answer, polled every 0.1 s."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        answer = await probe()
        if answer is not None:
            return answer
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")
