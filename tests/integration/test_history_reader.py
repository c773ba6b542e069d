"""Reading the store's history as envelopes: in global order and batches, in worker
processes, as an async stream, and one aggregate's version range (gap repair)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from commands.actor import Actor, Role
from commands.bus import CommandBus
from commands.messages import PlaceBid
from commands.store import EventStore
from infra.scenario import open_auctions
from streams.history_reader import (
    aggregate_history,
    history_batches,
    read_aggregate_history,
    stream_history,
)
from streams.parallel_history import parallel_history_batches
from tests.support.database import TestDatabase


async def some_history(bus: CommandBus) -> str:
    """A few auctions with bids; returns the id of one with three bids."""
    opened = await open_auctions(bus, 3, now=datetime.now(UTC), duration=timedelta(hours=1))
    bidder = Actor.of("history-bidder", Role.BIDDER)
    for step in range(3):
        for auction in opened:
            amount = auction.reserve + step * auction.increment
            await bus.dispatch(PlaceBid(auction_id=auction.auction_id, amount=amount), bidder)
    return str(opened[0].auction_id)


async def test_the_history_comes_in_global_order_in_batches(
    store: EventStore, bus: CommandBus
) -> None:
    await some_history(bus)
    head = store.head_position()

    batches = list(history_batches(store, batch_size=7))

    envelopes = [e for batch in batches for e in batch]
    assert all(len(batch) <= 7 for batch in batches)
    positions = [e["position"] for e in envelopes]
    assert positions == sorted(positions)
    assert positions[-1] == head
    later = [e for batch in history_batches(store, after=positions[10]) for e in batch]
    assert later == envelopes[11:]


async def test_worker_processes_read_the_same_history_in_the_same_order(
    test_database: TestDatabase, store: EventStore, bus: CommandBus
) -> None:
    await some_history(bus)
    head = store.head_position()
    serial = [e for batch in history_batches(store, after=3, up_to=head) for e in batch]

    parallel = [
        e
        for batch in parallel_history_batches(
            test_database.settings(), after=3, up_to=head, workers=2, window=9
        )
        for e in batch
    ]

    assert parallel == serial


async def test_the_async_stream_equals_the_batches(store: EventStore, bus: CommandBus) -> None:
    await some_history(bus)
    expected = [e for batch in history_batches(store, batch_size=5) for e in batch]

    streamed = [e async for batch in stream_history(store, batch_size=5) for e in batch]

    assert streamed == expected


async def test_one_aggregates_version_range_for_gap_repair(
    store: EventStore, bus: CommandBus
) -> None:
    auction_id = await some_history(bus)
    own = [e for batch in history_batches(store) for e in batch if e["aggregate_id"] == auction_id]
    assert [e["aggregate_version"] for e in own] == [1, 2, 3, 4]

    missing = read_aggregate_history(store, auction_id, 1, 3)

    assert missing == own[1:3]
    assert await aggregate_history(store, auction_id, 0, 4) == own
    assert await aggregate_history(store, auction_id, 4, 9) == []
