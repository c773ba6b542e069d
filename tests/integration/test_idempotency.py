"""Idempotency keys: a repeated command returns its first result and records nothing,
within a batch, across batches and across a restart of the store and bus."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING
from uuid import UUID, uuid4

import pytest

from commands.actor import Actor
from commands.bus import CommandBus
from commands.messages import Command, PlaceBid
from commands.recorder import StoredReceipt
from commands.results import CommandResult
from commands.store import EventStore
from commands.submission import Submission
from domain.auction import Auction
from domain.errors import AuctionNotOpen, ValidationFailed
from infra.bootstrap import build_bus, build_event_store
from tests.support.history import checked_bids, stored_events
from tests.support.scenario import ManualClock, new_bidder, new_maker, open_auction, registration

if TYPE_CHECKING:  # not at run time: pytest would try to collect a class named Test*
    from tests.support.database import TestDatabase


def _same_result(first: CommandResult, again: CommandResult) -> None:
    assert not first.replayed
    assert again.replayed
    assert again.ids == first.ids
    assert again.aggregate_id == first.aggregate_id
    assert again.aggregate_version == first.aggregate_version
    assert again.position == first.position


async def test_a_repeated_bid_returns_its_first_result_and_records_nothing(
    bus: CommandBus, store: EventStore
) -> None:
    spec = await open_auction(bus)
    bidder = new_bidder()
    bid = PlaceBid(auction_id=spec.auction_id, amount=Decimal("120.00"), idempotency_key="k-1")

    first = await bus.dispatch(bid, bidder)
    head = store.head_position()
    again = await bus.dispatch(bid, bidder)

    _same_result(first, again)
    assert store.head_position() == head
    assert [b.amount for b in checked_bids(store, spec.auction_id)] == [Decimal("120.00")]


async def test_a_repeated_registration_returns_its_first_result_and_records_nothing(
    bus: CommandBus, store: EventStore
) -> None:
    maker = new_maker()
    keyed = registration(idempotency_key="register-1")

    first = await bus.dispatch(keyed, maker)
    head = store.head_position()
    again = await bus.dispatch(keyed, maker)

    _same_result(first, again)
    assert store.head_position() == head
    assert len(stored_events(store, UUID(first.ids["productId"]))) == 1


async def test_the_same_key_twice_in_one_batch_records_one_event(
    bus: CommandBus, store: EventStore
) -> None:
    spec = await open_auction(bus)
    bidder = new_bidder()
    bid = PlaceBid(auction_id=spec.auction_id, amount=Decimal("100.00"), idempotency_key="twice")
    batches_before = bus.processor.stats.batches

    one, other = await asyncio.gather(bus.dispatch(bid, bidder), bus.dispatch(bid, bidder))

    assert bus.processor.stats.batches == batches_before + 1, "both went in one batch"
    first, again = (one, other) if not one.replayed else (other, one)
    _same_result(first, again)
    # Without the key, the second bid of the same amount would have been refused as too low.
    assert [b.amount for b in checked_bids(store, spec.auction_id)] == [Decimal("100.00")]


async def test_a_key_reused_for_another_command_is_refused(
    bus: CommandBus, store: EventStore
) -> None:
    spec = await open_auction(bus)
    bidder = new_bidder()
    first = PlaceBid(auction_id=spec.auction_id, amount=Decimal("100.00"), idempotency_key="k")
    other_amount = PlaceBid(
        auction_id=spec.auction_id, amount=Decimal("150.00"), idempotency_key="k"
    )
    await bus.dispatch(first, bidder)
    head = store.head_position()

    with pytest.raises(ValidationFailed) as refused:
        await bus.dispatch(other_amount, bidder)
    assert refused.value.code == "VALIDATION_FAILED"
    assert refused.value.details == {"field": "idempotencyKey"}

    # The same reuse inside one batch: the first is recorded, the second refused.
    bid = PlaceBid(auction_id=spec.auction_id, amount=Decimal("200.00"), idempotency_key="k2")
    clash = PlaceBid(auction_id=spec.auction_id, amount=Decimal("300.00"), idempotency_key="k2")
    outcomes = await asyncio.gather(
        bus.dispatch(bid, bidder), bus.dispatch(clash, bidder), return_exceptions=True
    )
    assert isinstance(outcomes[0], CommandResult)
    assert isinstance(outcomes[1], ValidationFailed)
    assert outcomes[1].code == "VALIDATION_FAILED"
    assert store.head_position() == outcomes[0].position > head
    amounts = [b.amount for b in checked_bids(store, spec.auction_id)]
    assert amounts == [Decimal("100.00"), Decimal("200.00")]


async def test_keys_belong_to_their_caller(bus: CommandBus, store: EventStore) -> None:
    spec = await open_auction(bus)
    alice, bob = new_bidder("alice"), new_bidder("bob")
    alices = await bus.dispatch(
        PlaceBid(auction_id=spec.auction_id, amount=Decimal("100.00"), idempotency_key="same"),
        alice,
    )
    bobs = await bus.dispatch(
        PlaceBid(auction_id=spec.auction_id, amount=Decimal("110.00"), idempotency_key="same"),
        bob,
    )
    assert not bobs.replayed
    assert bobs.position > alices.position
    assert len(checked_bids(store, spec.auction_id)) == 2


async def test_a_key_survives_a_restart_of_store_and_bus(test_database: TestDatabase) -> None:
    settings = test_database.settings()
    bidder = new_bidder()
    store = build_event_store(settings)
    try:
        async with build_bus(settings, store) as bus:
            spec = await open_auction(bus)
            bid = PlaceBid(
                auction_id=spec.auction_id, amount=Decimal("100.00"), idempotency_key="restart"
            )
            first = await bus.dispatch(bid, bidder)
    finally:
        store.close()

    restarted = build_event_store(settings)
    try:
        head = restarted.head_position()
        async with build_bus(settings, restarted) as bus:
            assert len(bus.processor.cache) == 0
            again = await bus.dispatch(bid, bidder)
            with pytest.raises(ValidationFailed):
                await bus.dispatch(
                    PlaceBid(
                        auction_id=spec.auction_id,
                        amount=Decimal("500.00"),
                        idempotency_key="restart",
                    ),
                    bidder,
                )
        _same_result(first, again)
        assert restarted.head_position() == head
        auction = restarted.load(spec.auction_id)
        assert isinstance(auction, Auction)
        assert auction.bid_count == 1
        assert auction.highest_bid_id == UUID(first.ids["bidId"])
    finally:
        restarted.close()


async def test_a_refused_command_leaves_no_receipt(
    test_database: TestDatabase, store: EventStore
) -> None:
    """Only recorded commands get receipts: a keyed bid refused because the auction had not
    started is decided afresh when the caller retries it, with the same key, later."""
    clock = ManualClock()
    async with build_bus(test_database.settings(), store, clock=clock) as bus:
        spec = await open_auction(bus, starts_at=clock.now + timedelta(minutes=5))
        bid = PlaceBid(auction_id=spec.auction_id, amount=Decimal("100.00"), idempotency_key="r")
        bidder = new_bidder()
        with pytest.raises(AuctionNotOpen):
            await bus.dispatch(bid, bidder)
        clock.now += timedelta(minutes=10)
        result = await bus.dispatch(bid, bidder)
    assert not result.replayed
    assert [b.bid_id for b in checked_bids(store, spec.auction_id)] == [UUID(result.ids["bidId"])]


def _original_commits_right_after_lookup(
    monkeypatch: pytest.MonkeyPatch,
    store: EventStore,
    elsewhere: CommandBus,
    command: Command,
    actor: Actor,
) -> list[Submission]:
    """Make the original command commit on another bus (its own store and cache, as in
    another process) in the gap between a retry's receipt lookup and its decision. Only
    the moment is arranged; both writes go to the real database."""
    originals: list[Submission] = []
    lookup = store.select_receipts

    def select_receipts(keys: Sequence[str]) -> dict[str, StoredReceipt]:
        found = lookup(keys)
        if not originals:
            original = Submission(command, actor, uuid4(), uuid4())
            elsewhere.processor.run([original])
            assert original.result is not None, original.error
            originals.append(original)
        return found

    monkeypatch.setattr(store, "select_receipts", select_receipts)
    return originals


@pytest.mark.parametrize("kind", ["registration", "bid"])
async def test_a_keyed_retry_racing_its_original_on_another_bus_gets_the_original_result(
    kind: str,
    bus: CommandBus,
    store: EventStore,
    test_database: TestDatabase,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = test_database.settings()
    command: Command
    if kind == "bid":
        spec = await open_auction(bus)
        actor = new_bidder()
        command = PlaceBid(
            auction_id=spec.auction_id, amount=Decimal("100.00"), idempotency_key="retry"
        )
    else:
        actor = new_maker()
        command = registration(idempotency_key="retry")
    other_store = build_event_store(settings)
    try:
        elsewhere = build_bus(settings, other_store)  # its processor is driven directly
        originals = _original_commits_right_after_lookup(
            monkeypatch, store, elsewhere, command, actor
        )
        # A bus with nothing cached, like a process that never saw the aggregate.
        async with build_bus(settings, store) as retrying:
            outcome = await asyncio.gather(
                retrying.dispatch(command, actor), return_exceptions=True
            )
    finally:
        other_store.close()
    (original,) = originals
    assert original.result is not None
    assert isinstance(outcome[0], CommandResult), f"the retry was refused: {outcome[0]!r}"
    _same_result(original.result, outcome[0])
