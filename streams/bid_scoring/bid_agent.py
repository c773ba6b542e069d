"""The Faust agent that feeds auction events to the bid flagger, and its resources."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import faust
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from infra.bootstrap import NotConfigured, build_bus, build_event_store
from infra.models.scoring import BidScorer
from infra.settings import Settings
from streams.bid_scoring.bid_flagger import BidFlagger
from streams.topics import topic_for_aggregate

BATCH = 500
BATCH_WINDOW_S = 0.02


@contextlib.asynccontextmanager
async def open_flagger(settings: Settings) -> AsyncIterator[BidFlagger]:
    """A flagger with the model loaded, its own pool, store and command bus."""
    if not settings.database_url:
        raise NotConfigured("VERACHAIN_DATABASE_URL is not set")
    scorer = await asyncio.to_thread(BidScorer.load)  # hash and signature checked
    # Few connections: one actor, one query at a time (a worker runs many agents).
    store = build_event_store(replace(settings, db_pool_size=2))
    pool: AsyncConnectionPool[AsyncConnection[Any]] = AsyncConnectionPool(
        settings.database_url, min_size=1, max_size=1, open=False
    )
    await pool.open(wait=True)
    try:
        async with build_bus(settings, store) as bus:
            yield BidFlagger(store, pool, bus, scorer)
    finally:
        await pool.close()
        store.close()


def install_bid_flagger(app: faust.App, settings: Settings) -> None:
    """Subscribe the flagger to the auction topic, beside the projector."""
    events = app.topic(topic_for_aggregate("Auction"), value_type=bytes, key_type=bytes)

    # concurrency=1 (FINDINGS.md): each auction's events reach its window in order, one
    # actor per worker; more throughput comes from more partitions and workers.
    async def flag_bids(stream: Any) -> AsyncIterator[None]:
        async with open_flagger(settings) as flagger:
            async for values in stream.take(BATCH, within=BATCH_WINDOW_S):
                await flagger.handle_batch(list(values))
                yield None

    app.agent(events, name="bid_scoring.flagger", concurrency=1)(flag_bids)
