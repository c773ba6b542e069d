"""A `verachain worker` process on the pipeline tests' settings, and the checks they share."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

from redis import Redis

from commands.store import EventStore
from infra.settings import Settings
from streams.read_model_check import check_read_models
from tests.support.read_model import wait_until_projected

REPO_ROOT = str(Path(__file__).resolve().parents[3])


class WorkerProcess:
    """One projection worker (a fresh consumer group), its output kept in a log file."""

    def __init__(self, settings: Settings, workdir: Path, kind: str = "worker") -> None:
        """`verachain worker` (or `reactor`) in a consumer group of its own."""
        self.log_path = workdir / f"{kind}.log"
        env = {
            **os.environ,
            **settings.to_env(),
            "VERACHAIN_WORKER_GROUP": f"test-{uuid.uuid4().hex[:8]}",
            "VERACHAIN_WORKER_METRICS_PORT": "0",
            "VERACHAIN_DATA_DIR": str(workdir),
            "PYTHONPATH": REPO_ROOT,
        }
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "infra.cli", kind],
                env=env,
                cwd=workdir,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def log_tail(self) -> str:
        return self.log_text()[-3000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


async def assert_read_models_match_the_store(
    settings: Settings, store: EventStore, worker: WorkerProcess
) -> None:
    """The oracle: both read models equal to a fresh replay of the store, with the worker
    that made them still running."""
    assert settings.database_url is not None
    assert settings.redis_url is not None
    await wait_until_projected(settings.database_url, timeout_s=180)
    assert worker.alive, worker.log_tail()
    redis = Redis.from_url(settings.redis_url)
    try:
        report = await asyncio.to_thread(
            check_read_models, settings, store, redis=redis, wait_s=30, workers=1
        )
    finally:
        redis.close()
    assert report.compared > 0
    assert report.clean, report.differences[:10]
