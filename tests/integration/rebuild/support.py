"""Fixtures and helpers of the rebuild tests: a database and a Redis prefix of their own,
traffic through the bus, and rebuild/check with that prefix."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import psycopg
from redis import Redis

from commands.actor import Actor, Role
from commands.bus import CommandBus
from commands.messages import PlaceBid
from commands.store import EventStore
from infra.scenario import OpenedAuction, open_auctions
from infra.settings import Settings
from streams.read_model_check import CheckReport, check_read_models
from streams.rebuild import RebuildStats, rebuild_read_models
from tests.support.database import TestDatabase

PREFIX = f"vc-test-{uuid.uuid4().hex[:8]}"
BIDDERS = [Actor.of(f"rebuild-bidder-{i}", Role.BIDDER) for i in range(4)]


@dataclass
class Bidding:
    """Bids on some auctions, each one the auction's next minimum."""

    auctions: list[OpenedAuction]
    placed: dict[uuid.UUID, int] = field(default_factory=dict)

    async def bid(self, bus: CommandBus, auction: OpenedAuction) -> int:
        count = self.placed.get(auction.auction_id, 0)
        result = await bus.dispatch(
            PlaceBid(
                auction_id=auction.auction_id,
                amount=auction.reserve + count * auction.increment,
            ),
            BIDDERS[count % len(BIDDERS)],
        )
        self.placed[auction.auction_id] = count + 1
        return result.position

    async def rounds(self, bus: CommandBus, rounds: int) -> None:
        for _ in range(rounds):
            for auction in self.auctions:
                await self.bid(bus, auction)


async def traffic(bus: CommandBus, auctions: int = 4, rounds: int = 3) -> Bidding:
    opened = await open_auctions(bus, auctions, now=datetime.now(UTC), duration=timedelta(hours=1))
    bidding = Bidding(opened)
    await bidding.rounds(bus, rounds)
    return bidding


def rebuild(
    settings: Settings, store: EventStore, redis: Redis, *, sql: bool = True, live: bool = True
) -> RebuildStats:
    return rebuild_read_models(
        settings, store, sql=sql, redis=redis if live else None, prefix=PREFIX, workers=1
    )


def check(settings: Settings, store: EventStore, redis: Redis, wait_s: float = 0.0) -> CheckReport:
    return check_read_models(settings, store, redis=redis, prefix=PREFIX, wait_s=wait_s, workers=1)


def schemas(database: TestDatabase) -> set[str]:
    with psycopg.connect(database.url) as conn:
        rows = conn.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'read_model%'")
        return {row[0] for row in rows}


def sql_value(database: TestDatabase, query: str, *params: object) -> object:
    with psycopg.connect(database.url) as conn:
        row = conn.execute(query.encode(), params).fetchone()
    assert row is not None
    return row[0]
