"""A projection worker killed with SIGKILL mid-stream: its replacement converges the read
models to the store, nothing lost and nothing applied twice."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import uuid
from pathlib import Path

import psycopg
import redis.asyncio as aioredis
from prometheus_client import CollectorRegistry

from commands.bus import CommandBus
from commands.store import EventStore
from infra.read_model_status import read_model_lag
from infra.relay_runner import run_relay
from projections.live_model import auction_key
from tests.integration.test_worker import start_worker
from tests.support.database import TestDatabase
from tests.support.kafka import KafkaTarget
from tests.support.read_model import wait_until_projected
from tests.support.traffic import drive_traffic, stream_settings


async def test_a_worker_killed_mid_stream_is_replaced_without_loss(
    test_database: TestDatabase,
    store: EventStore,
    bus: CommandBus,
    kafka: KafkaTarget,
    redis_url: str,
    tmp_path: Path,
) -> None:
    group = f"test-{uuid.uuid4().hex[:8]}"
    settings = stream_settings(test_database, kafka.bootstrap, embedded=kafka.embedded)
    opened = await drive_traffic(bus, auctions=6, bids=300)
    stop = asyncio.Event()
    relay = asyncio.create_task(run_relay(settings, stop, CollectorRegistry()))
    (tmp_path / "first").mkdir()
    (tmp_path / "second").mkdir()
    first, _ = start_worker(test_database, kafka, redis_url, group, tmp_path / "first")
    second: subprocess.Popen[bytes] | None = None
    try:
        # Kill it while it is part-way through the backlog.
        before = await asyncio.to_thread(read_model_lag, test_database.url)
        for _ in range(600):
            lag = await asyncio.to_thread(read_model_lag, test_database.url)
            if 0 < lag < before or (before <= 0 < lag):
                break
            await asyncio.sleep(0.05)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        lag_at_kill = await asyncio.to_thread(read_model_lag, test_database.url)
        assert lag_at_kill > 0, "the worker finished before it could be killed mid-stream"
        second, _ = start_worker(test_database, kafka, redis_url, group, tmp_path / "second")
        await wait_until_projected(test_database.url, timeout_s=120)

        live = aioredis.Redis.from_url(redis_url)
        try:
            with psycopg.connect(test_database.url) as conn:
                for auction in opened:
                    row = conn.execute(
                        "SELECT bid_count, version, "
                        "(SELECT count(*) FROM read_model.bids b WHERE b.auction_id = a.id) "
                        "FROM read_model.auctions a WHERE id = %s",
                        (auction.auction_id,),
                    ).fetchone()
                    assert row is not None
                    stored = store.load(auction.auction_id)
                    assert stored is not None
                    # Every bid applied exactly once: the count, the bid rows and the version.
                    assert row[0] == row[2] == 50
                    assert row[1] == stored.version
                    version = await live.hget(auction_key(str(auction.auction_id)), "version")
                    assert version is not None
                    assert int(version) == stored.version
        finally:
            await live.aclose()
    finally:
        stop.set()
        await relay
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=10)


async def test_a_busy_worker_stops_promptly_on_sigterm_and_its_successor_finishes(
    test_database: TestDatabase,
    store: EventStore,
    bus: CommandBus,
    kafka: KafkaTarget,
    redis_url: str,
    tmp_path: Path,
) -> None:
    """SIGTERM while every agent (projection, notifier, bid scoring, jobs) holds messages:
    the worker exits within seconds (it once waited forever on an unacknowledged message),
    and what it had not acknowledged is delivered again to the next worker."""
    group = f"test-{uuid.uuid4().hex[:8]}"
    settings = stream_settings(test_database, kafka.bootstrap, embedded=kafka.embedded)
    await drive_traffic(bus, auctions=6, bids=300)
    stop = asyncio.Event()
    relay = asyncio.create_task(run_relay(settings, stop, CollectorRegistry()))
    (tmp_path / "first").mkdir()
    (tmp_path / "second").mkdir()
    first, _ = start_worker(test_database, kafka, redis_url, group, tmp_path / "first")
    second: subprocess.Popen[bytes] | None = None
    try:
        before = await asyncio.to_thread(read_model_lag, test_database.url)
        for _ in range(600):  # stop it once it is part-way through the backlog
            lag = await asyncio.to_thread(read_model_lag, test_database.url)
            if 0 < lag < before:
                break
            await asyncio.sleep(0.05)
        first.send_signal(signal.SIGTERM)
        started = asyncio.get_running_loop().time()
        exit_code = await asyncio.to_thread(first.wait, 15)
        assert asyncio.get_running_loop().time() - started < 15
        assert exit_code == 0
        second, _ = start_worker(test_database, kafka, redis_url, group, tmp_path / "second")
        await wait_until_projected(test_database.url, timeout_s=120)
    finally:
        stop.set()
        await relay
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait(timeout=10)
