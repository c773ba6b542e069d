"""The report tests' stack: the relay (in this process), a `verachain worker` process with a
consumer group the test knows (so it can read the report queue's depth), a `verachain
reactor` beside it (it asks for an auction's report when the auction closes), and the API;
plus the CLI and reads of the report index."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import psycopg
from prometheus_client import CollectorRegistry
from psycopg.rows import dict_row

from infra.job_admin import job_status
from infra.relay_runner import run_relay
from infra.settings import Settings
from streams.jobs.job_topics import REPORT
from tests.integration.api.conftest import (  # noqa: F401 - api_database is a fixture
    RunningApi,
    api_database,
    api_settings,
    serving,
)
from tests.integration.jobs.conftest import eventually
from tests.support.database import TestDatabase
from tests.support.kafka import KafkaTarget

REPO_ROOT = str(Path(__file__).resolve().parents[3])


@dataclass
class ReportStack:
    settings: Settings  # the worker's, its consumer group included
    env: dict[str, str]  # the worker's environment: the CLI runs with it
    worker: subprocess.Popen[bytes]
    reactor: subprocess.Popen[bytes]
    log_path: Path  # both processes' output

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "infra.cli", "reports", *args],
            env={**self.env, "COLUMNS": "250"},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    async def drained(self) -> None:
        """Until the worker's group has taken (and acknowledged) every report job."""

        async def empty() -> bool | None:
            (status,) = await job_status(self.settings, [REPORT])
            return True if status.depth == 0 and status.retries_waiting == 0 else None

        await eventually(empty, "the report jobs to be taken", timeout_s=60)


def start_worker(settings: Settings, workdir: Path) -> ReportStack:
    """`verachain worker` and `verachain reactor` (without AI agents) on these settings, a
    fresh consumer group, their output in a file."""
    settings = replace(settings, worker_group=f"test-reports-{uuid.uuid4().hex[:8]}")
    assert settings.worker_group is not None
    env = {
        **os.environ,
        **settings.to_env(),
        "VERACHAIN_WORKER_GROUP": settings.worker_group,
        "VERACHAIN_WORKER_METRICS_PORT": "0",
        "PYTHONPATH": REPO_ROOT,
    }
    log_path = workdir / "worker.log"
    with log_path.open("wb") as log:
        worker, reactor = (
            subprocess.Popen(
                [sys.executable, "-m", "infra.cli", kind],
                env={**env, "VERACHAIN_AI_AGENTS": "off"},
                cwd=workdir,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            for kind in ("worker", "reactor")
        )
    return ReportStack(settings, env, worker, reactor, log_path)


def stop_worker(stack: ReportStack) -> None:
    for process in (stack.worker, stack.reactor):
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in (stack.worker, stack.reactor):
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@contextlib.asynccontextmanager
async def report_stack(
    database: TestDatabase, redis_url: str, kafka: KafkaTarget, workdir: Path
) -> AsyncIterator[tuple[ReportStack, RunningApi]]:
    """The relay, a worker and the API, all with `workdir` as their data directory."""
    settings = api_settings(database, redis_url, kafka, workdir)
    stop = asyncio.Event()
    relay = asyncio.create_task(run_relay(settings, stop, CollectorRegistry()))
    stack = start_worker(settings, workdir)
    try:
        async with serving(settings, min_position_wait_s=60) as api:
            yield stack, api
    finally:
        stop_worker(stack)
        stop.set()
        await relay


def index_rows(url: str, *report_ids: str) -> list[dict[str, Any]]:
    """The index rows of these reports, every column (none while the table is missing)."""
    with psycopg.connect(url) as conn, conn.cursor(row_factory=dict_row) as cur:
        try:
            cur.execute("SELECT * FROM verachain_reports WHERE id = ANY(%s)", (list(report_ids),))
        except psycopg.errors.UndefinedTable:
            return []
        return list(cur.fetchall())
