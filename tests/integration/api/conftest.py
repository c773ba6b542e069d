"""A running API (uvicorn on a free port, real PostgreSQL, Redis and broker) with the relay
and a worker behind it, so the tests are black-box: HTTP in, read models out."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from prometheus_client import CollectorRegistry
from redis.asyncio import Redis

from api.app import create_app
from commands.actor import Role
from infra.kafka_broker import free_port
from infra.relay_runner import run_relay
from infra.settings import Settings
from infra.tokens import issue_token
from tests.integration.pipeline.support import WorkerProcess
from tests.support.database import TestDatabase, provision_test_database
from tests.support.evidence_images import encoded
from tests.support.kafka import KafkaTarget

SECRET = "test-secret-" + uuid.uuid4().hex


@dataclass
class RunningApi:
    url: str
    settings: Settings
    client: httpx.AsyncClient

    def token(self, subject: str, *roles: Role) -> str:
        return issue_token(SECRET, subject, list(roles))

    async def graphql(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.client.post(
            f"{self.url}/graphql",
            json={"query": query, "variables": variables or {}},
            headers=headers,
        )
        body: dict[str, Any] = response.json()
        return body

    async def upload_evidence(self, token: str, data: bytes | None = None) -> str:
        """POST an image to /evidence (by default a small PNG of its own); its SHA-256."""
        image = data if data is not None else encoded("PNG", seed=uuid.uuid4().int % 10_000)
        response = await self.client.post(
            f"{self.url}/evidence",
            files={"file": ("evidence.png", image, "image/png")},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code in (200, 201), response.text
        digest: str = response.json()["sha256"]
        return digest


@pytest.fixture
def api_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestDatabase]:
    database = provision_test_database(tmp_path_factory.mktemp("api-pg"))
    try:
        yield database
    finally:
        database.drop()


def api_settings(
    database: TestDatabase, redis_url: str, kafka: KafkaTarget, data: Path
) -> Settings:
    # No AI agents run here: the API tests record AI assessments through the mutation
    # (tests/integration/scoring runs `verachain reactor` with them).
    return database.settings(
        relay_metrics_port=0, redis_url=redis_url, jwt_secret=SECRET, data_dir=data
    ).with_kafka(kafka.bootstrap, embedded=kafka.embedded)


@contextlib.asynccontextmanager
async def serving(settings: Settings, min_position_wait_s: float) -> AsyncIterator[RunningApi]:
    """The API under uvicorn on a free port, for as long as the context lasts. Every test
    calls from 127.0.0.1: the budgets an earlier test spent are cleared first."""
    assert settings.redis_url is not None
    redis = Redis.from_url(settings.redis_url)
    try:
        stale = [key async for key in redis.scan_iter(match="verachain:rl:*")]
        if stale:
            await redis.delete(*stale)
    finally:
        await redis.aclose()
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, min_position_wait_s=min_position_wait_s),
            host="127.0.0.1",
            port=port,
            log_level="warning",
        )
    )
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.02)
        async with httpx.AsyncClient(timeout=30) as client:
            yield RunningApi(f"http://127.0.0.1:{port}", settings, client)
    finally:
        server.should_exit = True
        await task


@pytest.fixture
async def running_api(
    api_database: TestDatabase, redis_url: str, kafka: KafkaTarget, tmp_path: Path
) -> AsyncIterator[RunningApi]:
    """The API with the relay and a worker behind it: writes reach the read models."""
    async with serving_with_pipeline(api_database, redis_url, kafka, tmp_path) as api:
        yield api


@contextlib.asynccontextmanager
async def serving_with_pipeline(
    database: TestDatabase,
    redis_url: str,
    kafka: KafkaTarget,
    workdir: Path,
    *,
    reactor: bool = False,
    **overrides: Any,
) -> AsyncIterator[RunningApi]:
    """The API, and the relay and a worker process feeding its read models, and with
    `reactor` a reactor without AI agents (notifications, report requests); `overrides`
    are Settings fields for all of them (an SMTP server, say)."""
    settings = replace(api_settings(database, redis_url, kafka, workdir), **overrides)
    stop = asyncio.Event()
    relay = asyncio.create_task(run_relay(settings, stop, CollectorRegistry()))
    processes = [WorkerProcess(settings, workdir)]
    if reactor:
        processes.append(WorkerProcess(replace(settings, ai_agents=False), workdir, "reactor"))
    try:
        # minPosition may wait for the worker's start-up and group join (seconds) here.
        async with serving(settings, min_position_wait_s=60) as api:
            yield api
    finally:
        for process in processes:
            process.stop()
        stop.set()
        await relay


@pytest.fixture
async def bare_api(
    api_database: TestDatabase, redis_url: str, kafka: KafkaTarget, tmp_path: Path
) -> AsyncIterator[RunningApi]:
    """The API alone (no relay, no worker): for what happens at its own door."""
    async with serving(api_settings(api_database, redis_url, kafka, tmp_path), 0.3) as api:
        yield api


@pytest.fixture
async def limited_api(
    api_database: TestDatabase,
    redis_url: str,
    kafka: KafkaTarget,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[RunningApi]:
    """The API alone with a tiny read budget (60 a minute, a burst of 10)."""
    monkeypatch.setenv("VERACHAIN_RATE_READS_PER_MIN", "60")
    async with serving(api_settings(api_database, redis_url, kafka, tmp_path), 0.3) as api:
        yield api
