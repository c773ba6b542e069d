"""The whole pipeline (command bus → store → relay → broker → worker → read models) through
the failures it must ride out: the broker coming back empty and the database going away.
Each test ends with `projections check` as the oracle: the read models equal a replay of
the store, with the worker that built them still running."""

from __future__ import annotations

import asyncio
from pathlib import Path

import psycopg
from prometheus_client import CollectorRegistry

from commands.bus import CommandBus
from commands.store import EventStore
from infra.bootstrap import build_bus, build_event_store
from infra.demo import run_demo
from infra.kafka_broker import EmbeddedBroker
from infra.relay_runner import run_relay
from infra.settings import Settings
from tests.integration.pipeline.support import WorkerProcess, assert_read_models_match_the_store
from tests.support.database import TestDatabase
from tests.support.read_model import wait_until_projected
from tests.support.traffic import drive_traffic


async def test_demo_traffic_with_a_live_worker_checks_clean(
    settings: Settings, store: EventStore, bus: CommandBus, tmp_path: Path
) -> None:
    stop = asyncio.Event()
    relay = asyncio.create_task(run_relay(settings, stop, CollectorRegistry()))
    worker = WorkerProcess(settings, tmp_path)
    try:
        report = await run_demo(bus, store, products=6, auctions=3, bidders=4, seconds=3)
        assert report.bids_accepted > 0
        await assert_read_models_match_the_store(settings, store, worker)
    finally:
        worker.stop()
        stop.set()
        await relay


async def test_relay_and_worker_ride_through_a_broker_that_comes_back_empty(
    settings: Settings,
    store: EventStore,
    bus: CommandBus,
    broker: EmbeddedBroker,
    tmp_path: Path,
) -> None:
    assert settings.database_url is not None
    stop = asyncio.Event()
    registry = CollectorRegistry()
    relay = asyncio.create_task(run_relay(settings, stop, registry))
    worker = WorkerProcess(settings, tmp_path)
    restarted: EmbeddedBroker | None = None
    try:
        await drive_traffic(bus, auctions=3, bids=30)
        await wait_until_projected(settings.database_url, timeout_s=120)
        broker.kill()  # memory-only: every topic, offset and consumer group is gone
        await drive_traffic(bus, auctions=2, bids=20)  # accepted while the broker is away
        await asyncio.sleep(3)  # long enough for the worker's consumer to notice
        restarted = EmbeddedBroker(port=broker.port, log_path=tmp_path / "tansu-2.log").start()
        await drive_traffic(bus, auctions=1, bids=10)  # and after it is back
        await assert_read_models_match_the_store(settings, store, worker)
        # It was the history republished to an empty broker that the worker read.
        assert registry.get_sample_value("verachain_relay_republishes_total") == 1
    finally:
        worker.stop()
        stop.set()
        await relay
        if restarted is not None:
            restarted.stop()


async def test_relay_and_worker_ride_through_a_database_outage(
    settings: Settings,
    own_database: TestDatabase,
    store: EventStore,
    bus: CommandBus,
    tmp_path: Path,
) -> None:
    """What a PostgreSQL restart looks like to its clients: every connection is cut and
    new ones are refused for a while. Done to this test's database only, so that the
    server stays up for everything else."""
    assert settings.database_url is not None
    stop = asyncio.Event()
    registry = CollectorRegistry()
    relay = asyncio.create_task(run_relay(settings, stop, registry))
    worker = WorkerProcess(settings, tmp_path)
    try:
        await drive_traffic(bus, auctions=2, bids=10)
        await wait_until_projected(settings.database_url, timeout_s=120)
        # A backlog, then the outage while the worker is still applying it.
        await drive_traffic(bus, auctions=4, bids=800)
        await asyncio.to_thread(_cut_off, own_database, allow=False)
        await asyncio.sleep(4)  # the relay and the worker fail, back off and retry meanwhile
        await asyncio.to_thread(_cut_off, own_database, allow=True)
        # A store and bus of their own: the fixture's connections were cut too.
        after = build_event_store(settings)
        try:
            async with build_bus(settings, after) as fresh_bus:
                await drive_traffic(fresh_bus, auctions=2, bids=20)
            await assert_read_models_match_the_store(settings, after, worker)
        finally:
            after.close()
        # Both were cut off mid-work, and came back by themselves.
        assert "waiting for its services" in worker.log_text()
        assert (registry.get_sample_value("verachain_relay_failures_total") or 0) >= 1
    finally:
        await asyncio.to_thread(_cut_off, own_database, allow=True)
        worker.stop()
        stop.set()
        await relay


def _cut_off(database: TestDatabase, *, allow: bool) -> None:
    """Refuse (or allow again) connections to the database; when refusing, also end every
    session it has, as a server going down does."""
    with psycopg.connect(database.server_url, autocommit=True) as admin:
        name = psycopg.sql.Identifier(database.name)
        admin.execute(
            psycopg.sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS {}").format(
                name, psycopg.sql.SQL("true" if allow else "false")
            )
        )
        if not allow:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (database.name,),
            )
