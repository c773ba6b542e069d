"""For the dashboard's browser test: the API (which serves the dashboard) under uvicorn,
the relay and a worker behind it, and Debian's Chromium driven by playwright."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, async_playwright
from prometheus_client import CollectorRegistry

from infra.relay_runner import run_relay
from tests.integration.api.conftest import RunningApi, api_settings, serving
from tests.integration.pipeline.support import WorkerProcess
from tests.support.database import TestDatabase
from tests.support.kafka import KafkaTarget
from tests.support.traffic import one_open_auction

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@contextlib.asynccontextmanager
async def running_dashboard(
    database: TestDatabase, redis_url: str, kafka: KafkaTarget, workdir: Path
) -> AsyncIterator[RunningApi]:
    """The API (its dashboard included), and the relay and a worker feeding its read models."""
    settings = api_settings(database, redis_url, kafka, workdir)
    stop = asyncio.Event()
    relay = asyncio.create_task(run_relay(settings, stop, CollectorRegistry()))
    worker = WorkerProcess(settings, workdir)
    try:
        async with serving(settings, min_position_wait_s=60) as api:
            yield api
    finally:
        worker.stop()
        stop.set()
        await relay


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """Headless Debian Chromium (never a browser build that playwright would download)."""
    executable = shutil.which("chromium")
    assert executable is not None, "chromium is not installed"
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            await browser.close()


async def open_auction(api: RunningApi) -> tuple[str, Decimal]:
    """One certified product's auction, open for an hour: (auction id, reserve price)."""
    opened = await one_open_auction(api.settings)
    return str(opened.auction_id), opened.reserve


async def graphql_ok(
    api: RunningApi, query: str, variables: dict[str, Any], token: str | None = None
) -> dict[str, Any]:
    """The data of an answer that must have no errors."""
    answer = await api.graphql(query, variables, token)
    assert not answer.get("errors"), answer
    data: dict[str, Any] = answer["data"]
    return data
