"""The relay prepares batches ahead, as ranges of notification ids, in worker processes or
on a thread: over a log with gaps (ids burned by failed saves), including ranges that hold
nothing at all, every stored event still reaches the topics, once, in order."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import psycopg
import pytest
from prometheus_client import CollectorRegistry

from commands.actor import Actor, Role
from commands.bus import CommandBus
from commands.messages import PlaceBid
from commands.store import EventStore
from infra.scenario import open_auctions
from streams.relay import Relay, RelayConfig
from streams.relay_metrics import RelayMetrics
from streams.relay_positions import RelayPositions
from streams.store_listener import StoreListener
from streams.topics import event_topics, topic_specs
from tests.support.database import TestDatabase
from tests.support.kafka import KafkaTarget, read_all
from tests.support.relay_checks import assert_topics_hold_the_history, stored_history


async def bid(bus: CommandBus, bids: int) -> None:
    (auction,) = await open_auctions(bus, 1, now=datetime.now(UTC), duration=timedelta(hours=1))
    bidder = Actor.of(f"prep-bidder-{uuid.uuid4().hex[:6]}", Role.BIDDER)
    for i in range(bids):
        amount = auction.reserve + Decimal(i) * auction.increment
        await bus.dispatch(PlaceBid(auction_id=auction.auction_id, amount=amount), bidder)


def burn_ids(database_url: str, count: int) -> None:
    """Take ids from the log's sequence and never use them, as a failed save does."""
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "SELECT nextval(pg_get_serial_sequence('verachain_events', 'notification_id')) "
            "FROM generate_series(1, %s)",
            (count,),
        )


async def relay_until_published(
    store: EventStore, database_url: str, config: RelayConfig, relay_name: str
) -> CollectorRegistry:
    registry = CollectorRegistry()
    watcher = RelayPositions(database_url, relay=relay_name)
    await watcher.ensure_table()  # before the relay does: two at once can clash
    positions = RelayPositions(database_url, relay=relay_name)
    listener = StoreListener(database_url)
    relay = Relay(store, positions, config, RelayMetrics(registry), listener.wait)
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    head = store.head_position()
    try:
        deadline = time.monotonic() + 60
        while (await watcher.load()).position < head:
            assert time.monotonic() < deadline, "the relay did not reach the store's head"
            assert not task.done(), "the relay stopped"
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await task
        await watcher.close()
        await listener.close()
    return registry


@pytest.mark.parametrize("prepare_processes", [0, 2], ids=["thread", "processes"])
async def test_ranges_with_gaps_and_empty_ranges_publish_the_whole_history(
    test_database: TestDatabase,
    store: EventStore,
    bus: CommandBus,
    kafka: KafkaTarget,
    prepare_processes: int,
) -> None:
    await bid(bus, 10)
    burn_ids(test_database.url, 7)  # more than a batch: at least one range holds nothing
    await bid(bus, 5)
    burn_ids(test_database.url, 1)
    await bid(bus, 5)
    config = RelayConfig(
        bootstrap=kafka.bootstrap,
        topics=topic_specs(6),
        batch_size=3,
        idempotent_producer=not kafka.embedded,
        prepare_processes=prepare_processes,
    )
    registry = await relay_until_published(
        store, test_database.url, config, f"prep-{uuid.uuid4().hex[:8]}"
    )
    history = stored_history(store)
    messages = await read_all(kafka.bootstrap, event_topics(), expect_at_least=len(history))
    assert_topics_hold_the_history(store, messages)
    assert registry.get_sample_value("verachain_relay_published_events_total") == len(history)
    assert registry.get_sample_value("verachain_relay_failures_total") == 0
