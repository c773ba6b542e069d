"""`verachain bench write`: bids through the group-commit bus vs. one command per transaction.

Both phases run in the same process against the same PostgreSQL, each on its own set of
open auctions, with the same number of concurrent clients and the same bidding strategy."""

from __future__ import annotations

import asyncio
import random
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from commands.actor import Actor, Role
from commands.bus import CommandBus
from commands.messages import PlaceBid
from commands.store import EventStore
from domain.auction import Auction
from domain.errors import DomainError
from domain.provenance import Provenance
from infra.bench.measurements import PhaseMeasurement, peak_rss_mb
from infra.scenario import OpenedAuction

TARGET_ACCEPTED_PER_S = 5000.0
TARGET_RATIO = 5.0
TARGET_P99_MS = 25.0


@dataclass(frozen=True)
class WriteBenchConfig:
    clients: int = 64
    auctions: int = 1000
    seconds: float = 15.0
    bidders: int = 500
    seed: int = 7


class BidPicker:
    """Each client bids just above the highest amount it has seen accepted, as a real
    bidder would; racing clients sometimes lose with BID_TOO_LOW, which counts as refused."""

    def __init__(self, auctions: list[OpenedAuction], bidders: int, seed: int) -> None:
        self.auctions = auctions
        self.highest: dict[UUID, Decimal] = {}
        self.bidders = [Actor.of(f"bidder-{i}", Role.BIDDER) for i in range(bidders)]
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def next_bid(self) -> tuple[OpenedAuction, Actor, Decimal]:
        with self._lock:
            auction = self._random.choice(self.auctions)
            bidder = self._random.choice(self.bidders)
            cents = Decimal(self._random.randint(0, 50)) / 100
        known = self.highest.get(auction.auction_id)
        base = auction.reserve if known is None else known + auction.increment
        return auction, bidder, base + cents

    def accepted(self, auction_id: UUID, amount: Decimal) -> None:
        with self._lock:
            if amount > self.highest.get(auction_id, Decimal(0)):
                self.highest[auction_id] = amount


async def run_bus_phase(
    bus: CommandBus,
    picker: BidPicker,
    config: WriteBenchConfig,
    on_tick: Callable[[float], None] | None = None,
) -> PhaseMeasurement:
    measurement = PhaseMeasurement("group-commit bus")
    deadline = time.perf_counter() + config.seconds

    async def client() -> None:
        while time.perf_counter() < deadline:
            auction, bidder, amount = picker.next_bid()
            started = time.perf_counter()
            code: str | None = None
            try:
                await bus.dispatch(PlaceBid(auction_id=auction.auction_id, amount=amount), bidder)
                picker.accepted(auction.auction_id, amount)
            except DomainError as e:
                code = e.code
            except Exception:
                code = "INTERNAL"
            measurement.record(time.perf_counter() - started, code)

    async def ticker() -> None:
        while time.perf_counter() < deadline:
            await asyncio.sleep(0.25)
            if on_tick is not None:
                on_tick(config.seconds - max(0.0, deadline - time.perf_counter()))

    started = time.perf_counter()
    await asyncio.gather(ticker(), *(client() for _ in range(config.clients)))
    measurement.seconds = time.perf_counter() - started
    measurement.peak_rss_mb = peak_rss_mb()
    return measurement


def run_baseline_phase(
    store: EventStore,
    picker: BidPicker,
    config: WriteBenchConfig,
    on_tick: Callable[[float], None] | None = None,
) -> PhaseMeasurement:
    """The same bids through the bare eventsourcing application: load the aggregate, decide,
    save it in its own transaction; `clients` threads at once."""
    measurement = PhaseMeasurement("one command per transaction")
    record_lock = threading.Lock()
    deadline = time.perf_counter() + config.seconds

    def client() -> None:
        while time.perf_counter() < deadline:
            auction_ref, bidder, amount = picker.next_bid()
            started = time.perf_counter()
            code: str | None = None
            try:
                auction: object = store.repository.get(auction_ref.auction_id)
                if not isinstance(auction, Auction):
                    raise TypeError(auction_ref.auction_id)
                prov = Provenance(bidder.id, datetime.now(UTC), uuid.uuid4(), uuid.uuid4())
                auction.place_bid(amount=amount, currency=auction.currency, prov=prov)
                store.save(auction)
                picker.accepted(auction_ref.auction_id, amount)
            except DomainError as e:
                code = e.code
            except IntegrityError:
                code = "CONFLICT"
            except Exception:
                code = "INTERNAL"
            with record_lock:
                measurement.record(time.perf_counter() - started, code)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=config.clients) as pool:
        futures = [pool.submit(client) for _ in range(config.clients)]
        while not all(f.done() for f in futures):
            time.sleep(0.25)
            if on_tick is not None:
                on_tick(config.seconds - max(0.0, deadline - time.perf_counter()))
        for f in futures:
            f.result()
    measurement.seconds = time.perf_counter() - started
    return measurement


def auction_window(now: datetime) -> tuple[datetime, timedelta]:
    """Bench auctions stay open far longer than the bench and never enter the snipe window."""
    return now, timedelta(hours=2)


def summarize(
    config: WriteBenchConfig, candidate: PhaseMeasurement, baseline: PhaseMeasurement
) -> dict[str, Any]:
    ratio = (
        candidate.accepted_per_second / baseline.accepted_per_second
        if baseline.accepted_per_second
        else float("inf")
    )
    met = {
        "accepted_per_s": candidate.accepted_per_second >= TARGET_ACCEPTED_PER_S,
        "ratio": ratio >= TARGET_RATIO,
        "p99_ms": candidate.percentile_ms(0.99) <= TARGET_P99_MS,
    }
    return {
        "benchmark": "write",
        "clients": config.clients,
        "auctions": config.auctions,
        "seconds_per_phase": config.seconds,
        "candidate": candidate.to_json(),
        "baseline": baseline.to_json(),
        "ratio": round(ratio, 2),
        "targets": {
            "accepted_per_s": TARGET_ACCEPTED_PER_S,
            "ratio": TARGET_RATIO,
            "p99_ms": TARGET_P99_MS,
        },
        "met": met,
        "all_met": all(met.values()),
    }
