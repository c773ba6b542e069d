"""The relay on real PostgreSQL and a real (Tansu) broker: order, completeness, schemas,
and survival of SIGKILL and of a broker that comes back empty."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from commands.bus import CommandBus
from commands.store import EventStore
from infra.kafka_broker import EmbeddedBroker
from infra.relay_runner import run_relay
from streams.topics import event_topics
from tests.support.database import TestDatabase
from tests.support.kafka import KafkaTarget, read_all
from tests.support.relay_checks import (
    assert_topics_hold_the_history,
    published_position,
    stored_history,
    wait_until_published,
)
from tests.support.traffic import drive_traffic, stream_settings

REPO_ROOT = str(Path(__file__).resolve().parents[2])


async def test_the_topics_hold_the_whole_history_valid_and_in_order(
    test_database: TestDatabase, store: EventStore, bus: CommandBus, kafka: KafkaTarget
) -> None:
    await drive_traffic(bus)
    settings = stream_settings(
        test_database, kafka.bootstrap, embedded=kafka.embedded, relay_batch_size=97
    )
    stop = asyncio.Event()
    registry = CollectorRegistry()
    relay = asyncio.create_task(run_relay(settings, stop, registry))
    try:
        await wait_until_published(test_database.url, store)
        await drive_traffic(bus, auctions=3, bids=30)  # woken by NOTIFY, not started cold
        await wait_until_published(test_database.url, store)
        metrics = generate_latest(registry).decode()
        assert "verachain_relay_lag_events" in metrics
    finally:
        stop.set()
        await relay
    messages = await read_all(
        kafka.bootstrap, event_topics(), expect_at_least=len(stored_history(store))
    )
    assert_topics_hold_the_history(store, messages)


@pytest.mark.skipif(
    bool(os.environ.get("VERACHAIN_KAFKA_BOOTSTRAP")), reason="restarts the embedded broker"
)
async def test_a_broker_that_comes_back_empty_gets_the_history_again(
    test_database: TestDatabase, store: EventStore, bus: CommandBus, tmp_path: Path
) -> None:
    broker = EmbeddedBroker(log_path=tmp_path / "tansu.log").start()
    settings = stream_settings(test_database, broker.bootstrap, embedded=True)
    stop = asyncio.Event()
    relay = asyncio.create_task(run_relay(settings, stop, CollectorRegistry()))
    try:
        await drive_traffic(bus, auctions=3, bids=20)
        await wait_until_published(test_database.url, store)
        broker.kill()  # memory-only: every topic and offset is gone
        await drive_traffic(bus, auctions=2, bids=10)  # accepted while the broker is away
        broker = EmbeddedBroker(port=broker.port, log_path=tmp_path / "tansu2.log").start()
        await wait_until_published(test_database.url, store, timeout_s=60)
        messages = await read_all(
            broker.bootstrap, event_topics(), expect_at_least=len(stored_history(store))
        )
        assert_topics_hold_the_history(store, messages)
    finally:
        stop.set()
        await relay
        broker.stop()


async def test_a_relay_killed_mid_stream_resumes_without_loss(
    test_database: TestDatabase, store: EventStore, bus: CommandBus, kafka: KafkaTarget
) -> None:
    await drive_traffic(bus, auctions=8, bids=200)
    env = dict(os.environ)
    env.update(
        VERACHAIN_DATABASE_URL=test_database.url,
        VERACHAIN_RELAY_METRICS_PORT="0",
        VERACHAIN_RELAY_BATCH_SIZE="20",
        PYTHONPATH=REPO_ROOT,
        **kafka.env(),
    )
    command = [sys.executable, "-m", "infra.cli", "relay"]
    first = subprocess.Popen(command, env=env)  # noqa: ASYNC220 - a child we kill on purpose
    try:
        head = store.head_position()
        # Kill it once it is part-way through the history.
        for _ in range(600):
            if 0 < published_position(test_database.url) < head:
                break
            await asyncio.sleep(0.01)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        killed_at = published_position(test_database.url)
        assert killed_at < head, "the relay finished before it could be killed"
    finally:
        if first.poll() is None:
            first.kill()
            first.wait(timeout=10)
    second = subprocess.Popen(command, env=env)  # noqa: ASYNC220 - a child we kill on purpose
    try:
        await wait_until_published(test_database.url, store, timeout_s=60)
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=20) == 0
    messages = await read_all(
        kafka.bootstrap, event_topics(), expect_at_least=len(stored_history(store))
    )
    assert_topics_hold_the_history(store, messages)


def test_relay_status_reports_the_lag(test_database: TestDatabase, tmp_path: Path) -> None:
    env = dict(os.environ)
    env.update(
        VERACHAIN_DATABASE_URL=test_database.url,
        PYTHONPATH=REPO_ROOT,
    )
    done = subprocess.run(
        [sys.executable, "-m", "infra.cli", "relay", "status"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "store head position" in done.stdout
    assert "lag" in done.stdout
