"""A bidding process killed with SIGKILL mid-run: nothing it was told is lost, the store
stays consistent, and another bus carries on, answering the dead process's idempotency
keys with their original results."""

from __future__ import annotations

import asyncio
import signal
import time
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, cast
from uuid import UUID, uuid4

import pytest

from commands.actor import Actor, Role
from commands.bus import CommandBus
from commands.messages import PlaceBid
from commands.results import CommandResult
from commands.store import EventStore
from domain.auction import Auction
from domain.errors import BidTooLow
from infra.bootstrap import build_bus, build_event_store
from tests.support.hammer_worker import Accepted, AuctionTarget, Intent, WorkerPlan
from tests.support.history import checked_bids, positions_by_version
from tests.support.scenario import AuctionSpec, new_bidder, open_auctions
from tests.support.worker_process import (
    WorkerProcess,
    read_intents,
    read_json_lines,
    start_all,
)

if TYPE_CHECKING:  # not at run time: pytest would try to collect a class named Test*
    from tests.support.database import TestDatabase

REPORTED_BEFORE_KILL = 150


@pytest.mark.slow
async def test_a_killed_bidding_process_loses_nothing_it_reported(
    bus: CommandBus, store: EventStore, test_database: TestDatabase, tmp_path: Path
) -> None:
    auctions = await open_auctions(bus, 3)
    name = f"crash{uuid4().hex[:6]}"
    results_log, intents_log = tmp_path / "results.jsonl", tmp_path / "intents.jsonl"
    plan = WorkerPlan(
        mode="bids",
        name=name,
        database_url=test_database.url,
        report_path=str(tmp_path / "never-written.json"),
        clients=16,
        seconds=120,  # it is killed long before
        auctions=[
            AuctionTarget(str(a.auction_id), str(a.reserve_price), str(a.min_increment))
            for a in auctions
        ],
        with_idempotency_keys=True,
        results_log=str(results_log),
        intents_log=str(intents_log),
    )
    (worker,) = await start_all([plan], tmp_path)
    try:
        await _wait_for_lines(results_log, REPORTED_BEFORE_KILL, worker)
    finally:
        await worker.kill()
    assert worker.process.returncode == -signal.SIGKILL

    reported = cast(list[Accepted], read_json_lines(results_log))
    intents = read_intents(intents_log)
    assert len(reported) >= REPORTED_BEFORE_KILL

    # 1. Everything the dead process was told is in the store, exactly as it was told.
    stored = _check_reported_bids_are_stored(store, test_database, auctions, reported)
    child_bids = {k: b for k, b in stored.items() if b.bidder_id.startswith(f"bidder-{name}-")}
    assert len(child_bids) >= len(reported)  # some may have committed unreported

    # 2. A new bus (fresh cache) answers every key the dead process used: with the original
    #    result when its bid was recorded, else by deciding the bid now.
    settings = test_database.settings()
    restarted = build_event_store(settings)
    try:
        async with build_bus(settings, restarted) as new_bus:
            outcomes = await asyncio.gather(
                *(new_bus.dispatch(_command(i), _bidder(i)) for i in intents),
                return_exceptions=True,
            )
            _check_replays(intents, outcomes, reported, child_bids)

            # 3. ...and carries on bidding on the same auctions.
            for spec in auctions:
                auction = restarted.load(spec.auction_id)
                assert isinstance(auction, Auction)
                result = await new_bus.dispatch(
                    PlaceBid(auction_id=spec.auction_id, amount=auction.minimum_next_bid()),
                    new_bidder(),
                )
                assert result.aggregate_version == auction.version + 1
    finally:
        restarted.close()
    for spec in auctions:
        checked_bids(store, spec.auction_id)
    print(
        f"reported {len(reported)}, recorded {len(child_bids)}, intents {len(intents)}, "
        f"decided anew {sum(isinstance(o, CommandResult) and not o.replayed for o in outcomes)}"
    )


async def _wait_for_lines(path: Path, count: int, worker: WorkerProcess) -> None:
    deadline = time.monotonic() + 60
    while len(read_json_lines(path)) < count:
        assert worker.process.returncode is None, worker.diagnostics()
        assert time.monotonic() < deadline, worker.diagnostics()
        await asyncio.sleep(0.02)


def _check_reported_bids_are_stored(
    store: EventStore,
    test_database: TestDatabase,
    auctions: list[AuctionSpec],
    reported: list[Accepted],
) -> dict[str, Auction.BidPlaced]:
    """Check the history's invariants and each reported bid; return the stored bids."""
    stored: dict[str, Auction.BidPlaced] = {}
    for spec in auctions:
        for bid in checked_bids(store, spec.auction_id):
            stored[str(bid.bid_id)] = bid
    positions = positions_by_version(store, test_database.url, [a.auction_id for a in auctions])
    for r in reported:
        bid = stored[r["ids"]["bidId"]]
        assert r["amount"] is not None
        assert (bid.bidder_id, bid.amount) == (r["actor"], Decimal(r["amount"]))
        assert bid.originator_version == r["version"]
        assert positions[(bid.originator_id, bid.originator_version)] == r["position"]
    return stored


def _check_replays(
    intents: list[Intent],
    outcomes: list[CommandResult | BaseException],
    reported: list[Accepted],
    child_bids: dict[str, Auction.BidPlaced],
) -> None:
    by_key = {r["key"]: r for r in reported}
    replayed_bids: list[str] = []
    for intent, outcome in zip(intents, outcomes, strict=True):
        original = by_key.get(intent["key"])
        if original is not None:
            assert isinstance(outcome, CommandResult), (intent, outcome)
            assert outcome.replayed
            assert outcome.ids == original["ids"]
            assert outcome.position == original["position"]
            assert outcome.aggregate_version == original["version"]
        if isinstance(outcome, CommandResult) and outcome.replayed:
            bid = child_bids[outcome.ids["bidId"]]
            assert (bid.bidder_id, str(bid.amount)) == (intent["actor"], intent["amount"])
            replayed_bids.append(outcome.ids["bidId"])
        elif not isinstance(outcome, CommandResult):
            # Never recorded before the kill, and too low by now: decided, not replayed.
            assert isinstance(outcome, BidTooLow), (intent, outcome)
    # Every bid the dead process recorded, told or not, carries its key's receipt.
    assert sorted(replayed_bids) == sorted(child_bids)


def _command(intent: Intent) -> PlaceBid:
    return PlaceBid(
        auction_id=UUID(intent["auction_id"]),
        amount=Decimal(intent["amount"]),
        idempotency_key=intent["key"],
    )


def _bidder(intent: Intent) -> Actor:
    return Actor.of(intent["actor"], Role.BIDDER)
