"""`projections rebuild` and `projections check` on real PostgreSQL and Redis.

No live projection runs in these tests: the rebuild is the read models' only writer, so
after it the read models stand exactly at the position it reached, and the check (the
oracle) must find them equal to the store. The module has a database of its own (its
read_model schema is swapped and dropped here) and a Redis key prefix of its own."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import psycopg
import pytest
from redis import Redis

from commands.actor import Actor, Role
from commands.bus import CommandBus
from commands.messages import PlaceBid
from commands.store import EventStore
from infra.bootstrap import build_bus, build_event_store
from infra.scenario import OpenedAuction, open_auctions
from infra.settings import Settings
from projections.fold import LiveState
from projections.live_model import auction_key, product_key, verification_key
from projections.read_model_diff import WHOLE, DifferenceKind
from streams.read_model_check import CheckReport, check_read_models
from streams.rebuild import REBUILD_LOCK_KEY, RebuildInProgress, RebuildStats, rebuild_read_models
from streams.redis_rebuild import RedisRebuild
from tests.support.database import TestDatabase, provision_test_database

PREFIX = f"vc-test-{uuid.uuid4().hex[:8]}"
BIDDERS = [Actor.of(f"rebuild-bidder-{i}", Role.BIDDER) for i in range(4)]


@pytest.fixture(scope="module")
def own_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestDatabase]:
    database = provision_test_database(tmp_path_factory.mktemp("rebuild-pg"))
    try:
        yield database
    finally:
        database.drop()


@pytest.fixture(scope="module")
def redis(redis_url: str) -> Iterator[Redis]:
    client = Redis.from_url(redis_url, decode_responses=True)
    try:
        yield client
    finally:
        for pattern in (f"{PREFIX}:*", f"{PREFIX}-rebuild:*"):
            keys = list(client.scan_iter(match=pattern))
            if keys:
                client.delete(*keys)
        client.close()


@pytest.fixture
def settings(own_database: TestDatabase, redis_url: str) -> Settings:
    return own_database.settings(redis_url=redis_url)


@pytest.fixture
def store(settings: Settings) -> Iterator[EventStore]:
    event_store = build_event_store(settings)
    try:
        yield event_store
    finally:
        event_store.close()


@pytest.fixture
async def bus(settings: Settings, store: EventStore) -> AsyncIterator[CommandBus]:
    async with build_bus(settings, store) as command_bus:
        yield command_bus


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


async def test_a_first_build_matches_the_store(
    own_database: TestDatabase, settings: Settings, store: EventStore, bus: CommandBus, redis: Redis
) -> None:
    with psycopg.connect(own_database.url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS read_model CASCADE")
    bidding = await traffic(bus)

    stats = await asyncio.to_thread(rebuild, settings, store, redis)

    assert stats.targets == ("sql", "redis")
    assert stats.position == await asyncio.to_thread(store.head_position)
    assert stats.events == sql_value(own_database, "SELECT count(*) FROM verachain_events")
    report = await asyncio.to_thread(check, settings, store, redis)
    assert report.differences == ()
    assert report.position == stats.position
    assert report.compared > 0
    watched = bidding.auctions[0]
    bids = sql_value(
        own_database, "SELECT bid_count FROM read_model.auctions WHERE id = %s", watched.auction_id
    )
    assert bids == 3
    fields = redis.hgetall(auction_key(str(watched.auction_id), PREFIX))
    assert fields["bid_count"] == "3"
    assert Decimal(str(fields["highest_amount"])) == watched.reserve + 2 * watched.increment
    assert redis.zcard(f"{auction_key(str(watched.auction_id), PREFIX)}:bids") == 3
    amount = sql_value(own_database, "SELECT max(amount) FROM read_model.bids")
    assert isinstance(amount, Decimal)
    assert schemas(own_database) == {"read_model"}
    assert list(redis.scan_iter(match=f"{PREFIX}-rebuild:*")) == []


async def test_check_reports_exactly_what_was_corrupted_and_a_rebuild_repairs_it(
    own_database: TestDatabase, settings: Settings, store: EventStore, bus: CommandBus, redis: Redis
) -> None:
    bidding = await traffic(bus)
    await asyncio.to_thread(rebuild, settings, store, redis)
    auction_id = str(bidding.auctions[1].auction_id)
    product_id = str(bidding.auctions[2].product_id)
    with psycopg.connect(own_database.url) as conn:
        conn.execute(
            "UPDATE read_model.auctions SET highest_bidder_id = 'mallory' WHERE id = %s",
            (auction_id,),
        )
    redis.hset(product_key(product_id, PREFIX), "verification_status", "BOGUS")

    report = await asyncio.to_thread(check, settings, store, redis)

    assert [(d.model, d.where, d.id, d.field, d.actual, d.kind) for d in report.differences] == [
        (
            "redis",
            product_key(product_id, PREFIX),
            product_id,
            "verification_status",
            "BOGUS",
            DifferenceKind.MISMATCH,
        ),
        ("sql", "auctions", auction_id, "highest_bidder_id", "mallory", DifferenceKind.MISMATCH),
    ]
    await asyncio.to_thread(rebuild, settings, store, redis)
    assert (await asyncio.to_thread(check, settings, store, redis)).differences == ()


async def test_rebuilding_twice_in_a_row_and_after_a_crash_leaves_no_debris(
    own_database: TestDatabase, settings: Settings, store: EventStore, bus: CommandBus, redis: Redis
) -> None:
    await traffic(bus, auctions=2, rounds=2)
    await asyncio.to_thread(rebuild, settings, store, redis)
    stray = verification_key(str(uuid.uuid4()), PREFIX)
    redis.hset(stray, mapping={"version": "1", "stage": "AWAITING_AI"})
    stray_bids = f"{auction_key(str(uuid.uuid4()), PREFIX)}:bids"
    redis.zadd(stray_bids, {"member": 100})
    unrelated = f"{PREFIX}:not-the-read-model"
    redis.set(unrelated, "kept")
    report = await asyncio.to_thread(check, settings, store, redis)
    assert {(d.where, d.field, d.kind) for d in report.differences} == {
        (stray, WHOLE, DifferenceKind.EXTRA),
        (stray_bids, WHOLE, DifferenceKind.EXTRA),
    }
    # What a crashed rebuild leaves behind: a half-filled next schema and temporary keys.
    with psycopg.connect(own_database.url, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA IF NOT EXISTS read_model_next")
        conn.execute("CREATE TABLE read_model_next.products (id uuid)")
    redis.hset(product_key(str(uuid.uuid4()), f"{PREFIX}-rebuild"), "version", "7")

    for _ in range(2):
        await asyncio.to_thread(rebuild, settings, store, redis)
        assert (await asyncio.to_thread(check, settings, store, redis)).differences == ()

    assert redis.exists(stray, stray_bids) == 0
    assert redis.get(unrelated) == "kept"
    assert schemas(own_database) == {"read_model"}
    assert list(redis.scan_iter(match=f"{PREFIX}-rebuild:*")) == []


async def test_sql_and_redis_can_be_rebuilt_alone(
    own_database: TestDatabase, settings: Settings, store: EventStore, bus: CommandBus, redis: Redis
) -> None:
    bidding = await traffic(bus, auctions=2, rounds=2)
    await asyncio.to_thread(rebuild, settings, store, redis)
    auction_id = str(bidding.auctions[0].auction_id)
    with psycopg.connect(own_database.url) as conn:
        conn.execute("UPDATE read_model.auctions SET bid_count = 99 WHERE id = %s", (auction_id,))
    redis.hset(auction_key(auction_id, PREFIX), "status", "BOGUS")

    await asyncio.to_thread(rebuild, settings, store, redis, live=False)
    report = await asyncio.to_thread(check, settings, store, redis)
    assert [(d.model, d.field) for d in report.differences] == [("redis", "status")]

    await asyncio.to_thread(rebuild, settings, store, redis, sql=False)
    assert (await asyncio.to_thread(check, settings, store, redis)).differences == ()


async def test_events_after_the_rebuild_show_as_lagging_not_as_mismatches(
    settings: Settings, store: EventStore, bus: CommandBus, redis: Redis
) -> None:
    bidding = await traffic(bus, auctions=1, rounds=1)
    await asyncio.to_thread(rebuild, settings, store, redis)
    await bidding.bid(bus, bidding.auctions[0])  # no live projection picks this one up

    started = time.monotonic()
    report = await asyncio.to_thread(check, settings, store, redis, 0.5)

    assert time.monotonic() - started >= 0.5  # it waited for the projection, in vain
    auction_id = str(bidding.auctions[0].auction_id)
    assert {(d.model, d.id, d.field, d.kind) for d in report.differences} == {
        ("sql", auction_id, "version", DifferenceKind.LAGGING),
        ("redis", auction_id, "version", DifferenceKind.LAGGING),
    }
    assert report.lagging == 2


class SwapGate:
    """A rebuild observer that holds the rebuild at its phases, from its own thread,
    while the test's event loop keeps dispatching commands."""

    def __init__(self, loop: asyncio.AbstractEventLoop, action: dict[str, asyncio.Event]) -> None:
        self.loop = loop
        self.action = action
        self.seen: list[str] = []

    def phase(self, name: str) -> None:
        self.seen.append(name)
        if name in self.action:
            done = asyncio.run_coroutine_threadsafe(self._wait(self.action[name]), self.loop)
            done.result(timeout=60)

    def advance(self, position: int, head: int) -> None:
        pass

    async def _wait(self, event: asyncio.Event) -> None:
        await event.wait()


async def test_a_rebuild_catches_up_with_commands_that_keep_arriving(
    settings: Settings, store: EventStore, bus: CommandBus, redis: Redis
) -> None:
    bidding = await traffic(bus, auctions=6, rounds=1)
    enough_meanwhile = asyncio.Event()  # bids committed after the fold
    drained = asyncio.Event()  # traffic stopped before the final, locked catch-up
    stop = asyncio.Event()
    folded = asyncio.Event()

    async def keep_bidding() -> int:
        placed = after_fold = 0
        while not stop.is_set():
            await bidding.bid(bus, bidding.auctions[placed % len(bidding.auctions)])
            placed += 1
            after_fold += folded.is_set()
            if after_fold >= 30:
                enough_meanwhile.set()
        drained.set()
        return placed

    class Gate(SwapGate):
        def phase(self, name: str) -> None:
            if name == "writing the new read models":
                self.loop.call_soon_threadsafe(folded.set)
            if name == "locking the live tables":
                self.loop.call_soon_threadsafe(stop.set)
            super().phase(name)

    gate = Gate(
        asyncio.get_running_loop(),
        {"catching up": enough_meanwhile, "locking the live tables": drained},
    )
    bids = asyncio.create_task(keep_bidding())
    stats = await asyncio.to_thread(
        rebuild_read_models, settings, store, redis=redis, prefix=PREFIX, workers=1, observer=gate
    )
    placed = await bids

    assert placed >= 30
    assert stats.caught_up >= 30
    assert stats.position == await asyncio.to_thread(store.head_position)
    assert gate.seen.index("catching up") < gate.seen.index("swapping")
    assert (await asyncio.to_thread(check, settings, store, redis)).differences == ()


async def test_a_writer_blocked_by_the_swap_resumes_on_the_new_tables(
    own_database: TestDatabase, settings: Settings, store: EventStore, bus: CommandBus, redis: Redis
) -> None:
    """What the live projection goes through when it writes during a swap: it waits for
    the lock, then its statement finds the new table by name (PostgreSQL looks the name up
    again after waiting), so its write is not lost with the old schema."""
    bidding = await traffic(bus, auctions=1, rounds=1)
    await asyncio.to_thread(rebuild, settings, store, redis)
    auction_id = str(bidding.auctions[0].auction_id)
    landed: list[int] = []

    def blocked_writer() -> None:
        with psycopg.connect(own_database.url, autocommit=True) as conn:
            done = conn.execute(
                "UPDATE read_model.auctions SET winner_id = 'blocked-writer' WHERE id = %s",
                (auction_id,),
            )
            landed.append(done.rowcount)

    def waiting_for_a_lock() -> bool:
        query = (
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND query LIKE 'UPDATE read_model.auctions%%'"
        )
        return sql_value(own_database, query) == 1

    writer = threading.Thread(target=blocked_writer)

    class Gate(SwapGate):
        def phase(self, name: str) -> None:
            super().phase(name)
            if name == "swapping":  # the live tables are locked now
                writer.start()
                deadline = time.monotonic() + 10
                while not waiting_for_a_lock() and time.monotonic() < deadline:
                    time.sleep(0.05)
                assert waiting_for_a_lock()

    await asyncio.to_thread(
        rebuild_read_models,
        settings,
        store,
        redis=redis,
        prefix=PREFIX,
        workers=1,
        observer=Gate(asyncio.get_running_loop(), {}),
    )
    await asyncio.to_thread(writer.join, 10)

    assert landed == [1]
    report = await asyncio.to_thread(check, settings, store, redis)
    assert [(d.id, d.field, d.actual) for d in report.differences] == [
        (auction_id, "winner_id", "blocked-writer")
    ]
    await asyncio.to_thread(rebuild, settings, store, redis)


def test_guarded_writes_never_go_back_to_an_earlier_version(redis: Redis) -> None:
    """The catch-up after a swap made without the live tables' lock."""
    auction_id = str(uuid.uuid4())
    key = auction_key(auction_id, PREFIX)

    def state(version: int, bids: dict[str, int]) -> LiveState:
        return LiveState("Auction", auction_id, {"version": str(version), "status": "OPEN"}, bids)

    writer = RedisRebuild(redis, PREFIX)
    redis.hset(key, mapping={"version": "5", "status": "CLOSED", "stray": "x"})
    assert writer.write_guarded([state(4, {"a": 100})]) == 0
    assert redis.hgetall(key) == {"version": "5", "status": "CLOSED", "stray": "x"}

    assert writer.write_guarded([state(6, {"a": 100, "b": 200})]) == 1
    assert redis.hgetall(key) == {"version": "6", "status": "OPEN"}
    assert redis.zrange(f"{key}:bids", 0, -1, withscores=True) == [("a", 100.0), ("b", 200.0)]
    redis.delete(key, f"{key}:bids")


def test_one_rebuild_at_a_time(
    own_database: TestDatabase, settings: Settings, store: EventStore, redis: Redis
) -> None:
    with psycopg.connect(own_database.url) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (REBUILD_LOCK_KEY,))
        with pytest.raises(RebuildInProgress):
            rebuild(settings, store, redis)
