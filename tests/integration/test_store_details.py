"""How the bus uses the store: chunked saves of huge batches, auction snapshots, and
cached aggregates that another writer made stale."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from itertools import count
from typing import TYPE_CHECKING
from uuid import UUID

import pytest

from commands.batch import MAX_EVENTS_PER_SAVE
from commands.bus import CommandBus
from commands.messages import PlaceBid
from commands.results import CommandResult
from commands.store import EventStore
from domain.auction import Auction
from domain.errors import BidTooLow
from infra.bootstrap import build_bus, build_event_store
from tests.support.history import (
    checked_bids,
    full_replay,
    replay_from_latest_snapshot,
    snapshot_versions,
    state_of,
    stored_rows,
)
from tests.support.scenario import ManualClock, new_bidder, new_maker, open_auction, registration

if TYPE_CHECKING:  # not at run time: pytest would try to collect a class named Test*
    from tests.support.database import TestDatabase


# -- chunking -----------------------------------------------------------------------------


async def test_a_batch_of_1200_registrations_is_saved_in_chunks(
    test_database: TestDatabase, store: EventStore
) -> None:
    maker = new_maker()
    # Every other one carries an idempotency key: receipts must point into the right chunk.
    commands = [
        registration(idempotency_key=f"chunk-{i}" if i % 2 == 0 else None) for i in range(1200)
    ]
    async with build_bus(test_database.settings(bus_max_batch=2000), store) as bus:
        results = await asyncio.gather(*(bus.dispatch(c, maker) for c in commands))
        assert max(bus.processor.stats.batch_sizes) == 1200, "one batch of 1,200 commands"
        replays = await asyncio.gather(
            *(bus.dispatch(commands[i], maker) for i in (0, 998, 1000, 1198))
        )

    positions = [r.position for r in results]
    assert len(set(positions)) == 1200
    assert positions == sorted(positions), "saved in the order decided"
    product_ids = [UUID(r.ids["productId"]) for r in results]
    assert len(set(product_ids)) == 1200
    rows = stored_rows(store, test_database.url, product_ids)
    assert [(r.originator_id, r.notification_id) for r in rows] == list(
        zip(product_ids, positions, strict=True)
    )
    # Several transactions, none with more events than one save may hold.
    per_transaction = Counter(r.transaction_id for r in rows)
    assert len(per_transaction) >= 2
    assert max(per_transaction.values()) <= MAX_EVENTS_PER_SAVE
    for index, again in zip((0, 998, 1000, 1198), replays, strict=True):
        assert again.replayed
        assert (again.ids, again.position) == (results[index].ids, results[index].position)


# -- snapshots ----------------------------------------------------------------------------


async def test_a_long_auction_is_snapshotted_and_loads_like_a_full_replay(
    bus: CommandBus, store: EventStore, test_database: TestDatabase
) -> None:
    spec = await open_auction(bus, min_increment=Decimal("1.00"))
    amounts = (spec.reserve_price + i for i in count())

    async def bid(times: int) -> list[CommandResult]:
        commands = [
            PlaceBid(auction_id=spec.auction_id, amount=next(amounts)) for _ in range(times)
        ]
        return await asyncio.gather(*(bus.dispatch(c, new_bidder()) for c in commands))

    await bid(120)  # one batch: version 1 → 121 crosses 100
    for _ in range(3):
        await bid(30)  # 151, 181, 211: the last crosses 200
    await bid(5)  # events after the latest snapshot
    assert snapshot_versions(store, test_database.url, spec.auction_id) == [121, 211]

    fresh = build_event_store(test_database.settings())  # nothing cached anywhere
    try:
        loaded = fresh.load(spec.auction_id)
        assert loaded is not None
        replayed = full_replay(fresh, spec.auction_id)
        from_snapshot = replay_from_latest_snapshot(fresh, spec.auction_id)
        assert state_of(loaded) == state_of(replayed) == state_of(from_snapshot)
        assert isinstance(loaded, Auction)
        assert (loaded.version, loaded.bid_count) == (216, 215)
        assert loaded.highest_amount == spec.reserve_price + 214
    finally:
        fresh.close()

    # The bus, its cache emptied, decides the next bid on the snapshot-based load.
    bus.processor.cache.clear()
    with pytest.raises(BidTooLow):
        await bus.dispatch(
            PlaceBid(auction_id=spec.auction_id, amount=spec.reserve_price + 214), new_bidder()
        )
    result = await bus.dispatch(
        PlaceBid(auction_id=spec.auction_id, amount=spec.reserve_price + 215), new_bidder()
    )
    assert result.aggregate_version == 217
    assert len(checked_bids(store, spec.auction_id)) == 216


async def test_a_snapshot_keeps_the_types_of_the_auctions_attributes(
    bus: CommandBus, store: EventStore, test_database: TestDatabase
) -> None:
    spec = await open_auction(bus, min_increment=Decimal("1.00"))
    await asyncio.gather(
        *(
            bus.dispatch(
                PlaceBid(auction_id=spec.auction_id, amount=spec.reserve_price + i), new_bidder()
            )
            for i in range(100)
        )
    )
    assert snapshot_versions(store, test_database.url, spec.auction_id) == [101]
    loaded = store.load(spec.auction_id)
    assert loaded is not None
    replayed = full_replay(store, spec.auction_id)

    def typed(state: dict[str, object]) -> dict[str, tuple[type, object]]:
        return {name: (type(value), value) for name, value in state.items()}

    assert typed(state_of(loaded)) == typed(state_of(replayed))


# -- stale caches -------------------------------------------------------------------------


async def test_a_cache_made_stale_by_another_bus_leads_to_a_rerun_not_a_lost_update(
    bus: CommandBus, store: EventStore, test_database: TestDatabase
) -> None:
    settings = test_database.settings()
    spec = await open_auction(bus)  # reserve 100, increment 5
    alice, bob, carol, dave = (new_bidder(n) for n in ("alice", "bob", "carol", "dave"))
    await bus.dispatch(PlaceBid(auction_id=spec.auction_id, amount=Decimal("100")), alice)
    other_store = build_event_store(settings)
    try:
        async with build_bus(settings, other_store) as other:
            await other.dispatch(PlaceBid(auction_id=spec.auction_id, amount=Decimal("105")), bob)
            reruns = bus.processor.stats.conflict_reruns
            # Valid on the cached auction (highest 100) and on the stored one (highest 105).
            third = await bus.dispatch(
                PlaceBid(auction_id=spec.auction_id, amount=Decimal("110")), carol
            )
            assert bus.processor.stats.conflict_reruns == reruns + 1
            assert third.aggregate_version == 4

            await other.dispatch(PlaceBid(auction_id=spec.auction_id, amount=Decimal("200")), bob)
            # Valid on the cached auction (highest 110), too low on the stored one.
            with pytest.raises(BidTooLow) as too_low:
                await bus.dispatch(
                    PlaceBid(auction_id=spec.auction_id, amount=Decimal("115")), dave
                )
            assert too_low.value.details["minimum"] == "205.00"
    finally:
        other_store.close()

    bids = checked_bids(store, spec.auction_id)
    assert [(b.bidder_id, b.amount) for b in bids] == [
        (alice.id, Decimal("100.00")),
        (bob.id, Decimal("105.00")),
        (carol.id, Decimal("110.00")),
        (bob.id, Decimal("200.00")),
    ]


async def test_a_refusal_decided_on_a_stale_cache_is_decided_again(
    store: EventStore, test_database: TestDatabase
) -> None:
    """Bus one's cached auction has ended; bus two's late bid extended it (anti-sniping).
    A bid on bus one must be judged on the extended auction, not refused as too late."""
    settings = test_database.settings()
    clock_one = ManualClock()
    start = clock_one.now
    clock_two = ManualClock(start)
    other_store = build_event_store(settings)
    try:
        async with (
            build_bus(settings, store, clock=clock_one) as one,
            build_bus(settings, other_store, clock=clock_two) as two,
        ):
            spec = await open_auction(
                one,
                starts_at=start,
                duration=timedelta(seconds=60),
                extension_window_seconds=30,
                extension_seconds=60,
            )
            clock_one.now = start + timedelta(seconds=1)
            await one.dispatch(
                PlaceBid(auction_id=spec.auction_id, amount=Decimal("100")), new_bidder()
            )
            clock_two.now = start + timedelta(seconds=50)  # inside the closing window
            extended = await two.dispatch(
                PlaceBid(auction_id=spec.auction_id, amount=Decimal("105")), new_bidder()
            )
            assert extended.aggregate_version == 4  # BidPlaced + AuctionExtended
            clock_one.now = start + timedelta(seconds=70)  # after the original end
            late = await one.dispatch(
                PlaceBid(auction_id=spec.auction_id, amount=Decimal("110")), new_bidder()
            )
            assert one.processor.stats.stale_refusal_reruns == 1
    finally:
        other_store.close()
    assert late.aggregate_version == 5
    auction = store.load(spec.auction_id)
    assert isinstance(auction, Auction)
    assert auction.ends_at == start + timedelta(seconds=110)
    assert [b.amount for b in checked_bids(store, spec.auction_id)] == [
        Decimal("100.00"),
        Decimal("105.00"),
        Decimal("110.00"),
    ]


async def test_a_refusal_caused_by_a_bid_lost_in_a_clash_is_decided_again(
    bus: CommandBus, store: EventStore, test_database: TestDatabase
) -> None:
    settings = test_database.settings()
    spec = await open_auction(bus, min_increment=Decimal("10.00"))
    await bus.dispatch(PlaceBid(auction_id=spec.auction_id, amount=Decimal("100")), new_bidder())
    other_store = build_event_store(settings)
    try:
        async with build_bus(settings, other_store) as other:
            # Bus one's cache still says the highest bid is 100 (minimum next: 110).
            await other.dispatch(
                PlaceBid(auction_id=spec.auction_id, amount=Decimal("145")), new_bidder()
            )
    finally:
        other_store.close()
    batches = bus.processor.stats.batches
    # One batch on bus one: 150 is accepted on the stale cache, so 155 is refused (minimum
    # 160); at save time the clash shows the stored highest is 145; 150 is re-decided and
    # refused (minimum 155). Nothing above 145 was recorded, so 155 is a valid bid.
    first, second = await asyncio.gather(
        bus.dispatch(PlaceBid(auction_id=spec.auction_id, amount=Decimal("150")), new_bidder()),
        bus.dispatch(PlaceBid(auction_id=spec.auction_id, amount=Decimal("155")), new_bidder()),
        return_exceptions=True,
    )
    assert bus.processor.stats.batches == batches + 1
    assert isinstance(first, BidTooLow)
    assert first.details["minimum"] == "155.00"
    assert isinstance(second, CommandResult), f"155 refused: {second!r}"
    amounts = [b.amount for b in checked_bids(store, spec.auction_id)]
    assert amounts == [Decimal("100.00"), Decimal("145.00"), Decimal("155.00")]
