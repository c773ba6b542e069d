"""Rebuilds racing other writers: commands arriving during the fold, a writer blocked by
the swap, concurrent rebuilds, and version-guarded Redis writes."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid

import psycopg
import pytest
from redis import Redis

from commands.bus import CommandBus
from commands.store import EventStore
from infra.settings import Settings
from projections.fold import LiveState
from projections.live_model import auction_key
from streams.rebuild import REBUILD_LOCK_KEY, RebuildInProgress, rebuild_read_models
from streams.redis_rebuild import RedisRebuild
from tests.integration.rebuild.support import (
    PREFIX,
    check,
    rebuild,
    sql_value,
    traffic,
)
from tests.support.database import TestDatabase


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
