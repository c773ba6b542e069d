"""Seeding the relay benchmark's store with a realistic history, fast.

Products go the whole way through the command bus (registered, verified by the AI and an
inspector, certified, auctioned), then bidders bid on those auctions through the domain's
own `Auction.place_bid`, and the resulting events are appended straight to the store in
transactions of at most MAX_EVENTS_PER_SAVE events (one save() of ~3,000 hangs, see
commands/batch.py). Every stored event is a real domain event; only the bus's per-command
bookkeeping is skipped for the bids, which doubles the seeding rate (~15k events/s here)."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from commands.actor import Actor, Role
from commands.batch import MAX_EVENTS_PER_SAVE
from commands.store import AnyAggregate, EventStore
from domain.auction import Auction
from domain.event_base import VeraEvent
from domain.provenance import Provenance
from infra.bootstrap import build_bus
from infra.scenario import OpenedAuction, open_auctions
from infra.settings import Settings

# One auction per this many events: a few percent product, verification and certificate
# events, the rest bids, as on a busy auction day.
EVENTS_PER_AUCTION = 200
MAX_AUCTIONS = 1000
BIDDERS = 500

SeedProgress = Callable[[int], None]  # called with the store's event count so far


@dataclass(frozen=True, slots=True)
class SeedPlan:
    events: int
    seed: int = 11

    @property
    def auctions(self) -> int:
        return max(1, min(MAX_AUCTIONS, self.events // EVENTS_PER_AUCTION))


async def seed_history(
    settings: Settings, store: EventStore, plan: SeedPlan, on_progress: SeedProgress
) -> int:
    """Fill the store until it holds at least `plan.events` events; return the head position."""
    async with build_bus(settings, store) as bus:
        # Long enough that no bid falls in the anti-sniping window: one bid, one event.
        opened = await open_auctions(
            bus, plan.auctions, now=datetime.now(UTC), duration=timedelta(hours=6)
        )
    head = await asyncio.to_thread(store.head_position)
    on_progress(head)
    # The bus has stopped: from here on this function is the store's only writer.
    await asyncio.to_thread(_place_bids, store, opened, plan, head, on_progress)
    return await asyncio.to_thread(store.head_position)


def _place_bids(
    store: EventStore,
    opened: list[OpenedAuction],
    plan: SeedPlan,
    stored: int,
    on_progress: SeedProgress,
) -> None:
    rng = random.Random(plan.seed)
    auctions = [_load_auction(store, a.auction_id) for a in opened]
    bidders = [Actor.of(f"relay-bench-bidder-{i}", Role.BIDDER).id for i in range(BIDDERS)]
    while stored < plan.events:
        chunk = min(MAX_EVENTS_PER_SAVE, plan.events - stored)
        touched: dict[uuid.UUID, tuple[Auction, int]] = {}
        events: list[VeraEvent] = []
        for _ in range(chunk):
            auction = rng.choice(auctions)
            touched.setdefault(auction.id, (auction, auction.version))
            prov = Provenance(rng.choice(bidders), datetime.now(UTC), uuid.uuid4(), uuid.uuid4())
            cents = Decimal(rng.randint(0, 99)) / 100
            auction.place_bid(
                amount=auction.minimum_next_bid() + cents, currency=auction.currency, prov=prov
            )
        for auction, _ in touched.values():
            events.extend(_pending(auction))
        store.append(events)
        snapshots: list[tuple[AnyAggregate, int]] = list(touched.values())
        store.snapshot_due(snapshots)
        stored += len(events)
        on_progress(stored)


def _load_auction(store: EventStore, auction_id: uuid.UUID) -> Auction:
    auction = store.load(auction_id)
    if not isinstance(auction, Auction):
        msg = f"auction {auction_id} was not found after it was opened"
        raise TypeError(msg)
    return auction


def _pending(auction: Auction) -> list[VeraEvent]:
    pending: list[VeraEvent] = []
    for event in auction.collect_events():
        if not isinstance(event, VeraEvent):
            msg = f"auction {auction.id} produced an event that is not a VeraChain event"
            raise TypeError(msg)
        pending.append(event)
    return pending
