"""For the dashboard's browser test: the API (which serves the dashboard) under uvicorn,
the relay and a worker behind it, and Debian's Chromium driven by playwright."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

from playwright.async_api import Browser, async_playwright

from tests.integration.api.conftest import RunningApi
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
