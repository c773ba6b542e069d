"""For the dashboard's browser test: the API (with the dashboard's routes) under uvicorn,
the relay and a worker behind it, and Debian's Chromium driven by playwright."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from playwright.async_api import Browser, async_playwright
from prometheus_client import CollectorRegistry
from starlette.applications import Starlette

from api.app import create_app
from api.dashboard_routes import dashboard_routes
from infra.bootstrap import build_bus, build_event_store
from infra.kafka_broker import free_port
from infra.relay_runner import run_relay
from infra.scenario import open_auctions
from infra.settings import Settings
from tests.integration.api.conftest import RunningApi, api_settings
from tests.integration.pipeline.support import WorkerProcess
from tests.support.database import TestDatabase
from tests.support.kafka import KafkaTarget

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def dashboard_app(settings: Settings) -> Starlette:
    """The API app with the dashboard's routes added (as the app itself will add them)."""
    app = create_app(settings, min_position_wait_s=60)
    known = {getattr(route, "path", None) for route in app.router.routes}
    app.router.routes.extend(r for r in dashboard_routes() if getattr(r, "path", None) not in known)
    return app


@contextlib.asynccontextmanager
async def serving_app(app: Starlette, settings: Settings) -> AsyncIterator[RunningApi]:
    """`app` under uvicorn on a free port, for as long as the context lasts."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=5
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


@contextlib.asynccontextmanager
async def running_dashboard(
    database: TestDatabase, redis_url: str, kafka: KafkaTarget, workdir: Path
) -> AsyncIterator[RunningApi]:
    """The API with the dashboard, and the relay and a worker feeding its read models."""
    settings = api_settings(database, redis_url, kafka, workdir)
    stop = asyncio.Event()
    relay = asyncio.create_task(run_relay(settings, stop, CollectorRegistry()))
    worker = WorkerProcess(settings, workdir)
    try:
        async with serving_app(dashboard_app(settings), settings) as api:
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
    store = build_event_store(api.settings)
    try:
        async with build_bus(api.settings, store) as bus:
            (opened,) = await open_auctions(
                bus, 1, now=datetime.now(UTC), duration=timedelta(hours=1)
            )
    finally:
        store.close()
    return str(opened.auction_id), opened.reserve


async def graphql_ok(
    api: RunningApi, query: str, variables: dict[str, Any], token: str | None = None
) -> dict[str, Any]:
    """The data of an answer that must have no errors."""
    answer = await api.graphql(query, variables, token)
    assert not answer.get("errors"), answer
    data: dict[str, Any] = answer["data"]
    return data
