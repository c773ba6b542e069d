"""Waiting for the live read model to reach the event store."""

from __future__ import annotations

import asyncio
import time

from infra.read_model_status import read_model_lag


async def wait_until_projected(database_url: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    lagging = -1
    while time.monotonic() < deadline:
        lagging = await asyncio.to_thread(read_model_lag, database_url)
        if lagging == 0:
            return
        await asyncio.sleep(0.2)
    msg = f"the read model still lags on {lagging} aggregates"
    raise AssertionError(msg)
