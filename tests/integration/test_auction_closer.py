"""The auction timer against a real store and read tables: nothing closes before its end,
an ended auction closes (by the timer, as SYSTEM) on the next tick, and a tick that finds an
auction the read model still shows open after it closed does no harm."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from commands.bus import CommandBus
from commands.store import EventStore
from infra.scenario import open_auctions
from projections.read_rows import Envelope
from streams.auction_closer import TIMER, AuctionCloser
from streams.history_reader import aggregate_history
from streams.sql_projection import SqlProjection
from tests.support.read_schema import Pool


async def _no_repair(aggregate_id: str, have: int, up_to: int) -> list[Envelope]:
    raise AssertionError(f"unexpected repair read of {aggregate_id}")


async def _project(store: EventStore, pool: Pool, schema: str, auction_id: uuid.UUID) -> None:
    projection = SqlProjection(pool, _no_repair, schema)
    for envelope in await aggregate_history(store, auction_id, 0, 2**31 - 1):
        await projection.apply(envelope)


async def test_an_ended_auction_is_closed_by_the_timer_and_only_once(
    bus: CommandBus, store: EventStore, pool: Pool, schema: str
) -> None:
    (opened,) = await open_auctions(bus, 1, now=datetime.now(UTC), duration=timedelta(seconds=1.5))
    await _project(store, pool, schema, opened.auction_id)
    closer = AuctionCloser(bus, pool, schema=schema)

    assert await closer.tick() == 0  # still running
    await asyncio.sleep(1.6)
    assert await closer.due() == [opened.auction_id]
    assert await closer.tick() == 1

    history = await aggregate_history(store, opened.auction_id, 0, 2**31 - 1)
    closed = history[-1]
    assert closed["type"] == "AuctionClosed"
    assert closed["metadata"]["actor"] == TIMER.id
    # The read model has not seen the close yet: the next tick tries, is refused, no harm.
    assert await closer.tick() == 0
    assert len(await aggregate_history(store, opened.auction_id, 0, 2**31 - 1)) == len(history)
    await _project(store, pool, schema, opened.auction_id)
    assert await closer.due() == []


async def test_the_timer_uses_the_clock_it_is_given(
    bus: CommandBus, store: EventStore, pool: Pool, schema: str
) -> None:
    (opened,) = await open_auctions(bus, 1, now=datetime.now(UTC), duration=timedelta(hours=1))
    await _project(store, pool, schema, opened.auction_id)
    later = AuctionCloser(
        bus, pool, schema=schema, clock=lambda: datetime.now(UTC) + timedelta(hours=2)
    )
    # The read model says due (by the given clock); the aggregate, by the real clock, refuses.
    assert await later.due() == [opened.auction_id]
    assert await later.tick() == 0
    history = await aggregate_history(store, opened.auction_id, 0, 2**31 - 1)
    assert history[-1]["type"] != "AuctionClosed"
