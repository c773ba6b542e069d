"""`projections rebuild` and `projections check` on real PostgreSQL and Redis.

No live projection runs in these tests: the rebuild is the read models' only writer, so
after it the read models stand exactly at the position it reached, and the check (the
oracle) must find them equal to the store. The module has a database of its own (its
read_model schema is swapped and dropped here) and a Redis key prefix of its own."""

from __future__ import annotations

import asyncio
import time
import uuid
from decimal import Decimal

import psycopg
from redis import Redis

from commands.bus import CommandBus
from commands.store import EventStore
from infra.settings import Settings
from projections.live_model import auction_key, product_key, verification_key
from projections.read_model_diff import WHOLE, DifferenceKind
from tests.integration.rebuild.support import (
    PREFIX,
    check,
    rebuild,
    schemas,
    sql_value,
    traffic,
)
from tests.support.database import TestDatabase


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
