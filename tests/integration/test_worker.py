"""The projection workers on real PostgreSQL, Redis and a broker: two workers as one
consumer group; the read model converges to the store; live updates are published."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import redis.asyncio as aioredis
from prometheus_client import CollectorRegistry

from commands.actor import Actor, Role
from commands.bus import CommandBus
from commands.messages import PlaceBid
from commands.store import EventStore
from infra.kafka_broker import free_port
from infra.relay_runner import run_relay
from infra.scenario import open_auctions
from projections.live_model import auction_channel, auction_key
from tests.support.database import TestDatabase
from tests.support.kafka import KafkaTarget
from tests.support.read_model import wait_until_projected
from tests.support.traffic import stream_settings

REPO_ROOT = str(Path(__file__).resolve().parents[2])


def start_worker(
    database: TestDatabase, kafka: KafkaTarget, redis_url: str, group: str, tmp: Path
) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    env = dict(os.environ)
    env.update(
        VERACHAIN_DATABASE_URL=database.url,
        VERACHAIN_REDIS_URL=redis_url,
        VERACHAIN_WORKER_GROUP=group,
        VERACHAIN_WORKER_METRICS_PORT=str(port),
        VERACHAIN_DATA_DIR=str(tmp),
        PYTHONPATH=REPO_ROOT,
        **kafka.env(),
    )
    process = subprocess.Popen([sys.executable, "-m", "infra.cli", "worker"], env=env, cwd=tmp)
    return process, port


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def events_handled(port: int) -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("verachain_projection_events_total{")
    )


async def test_two_workers_project_the_store_into_sql_and_redis(
    test_database: TestDatabase,
    store: EventStore,
    bus: CommandBus,
    kafka: KafkaTarget,
    redis_url: str,
    tmp_path: Path,
) -> None:
    group = f"test-{uuid.uuid4().hex[:8]}"
    settings = stream_settings(test_database, kafka.bootstrap, embedded=kafka.embedded)
    stop = asyncio.Event()
    relay = asyncio.create_task(run_relay(settings, stop, CollectorRegistry()))
    for i in (1, 2):
        (tmp_path / f"w{i}").mkdir()
    workers = [
        start_worker(test_database, kafka, redis_url, group, tmp_path / f"w{i}") for i in (1, 2)
    ]
    live = aioredis.Redis.from_url(redis_url)
    try:
        opened = await open_auctions(bus, 8, now=datetime.now(UTC), duration=timedelta(hours=1))
        watched = opened[0]
        pubsub = live.pubsub()
        await pubsub.subscribe(auction_channel(str(watched.auction_id)))
        bidders = [Actor.of(f"worker-bidder-{i}", Role.BIDDER) for i in range(3)]
        for step in range(40):
            auction = opened[step % len(opened)]
            amount = auction.reserve + Decimal(step // len(opened)) * auction.increment
            await bus.dispatch(
                PlaceBid(auction_id=auction.auction_id, amount=amount), bidders[step % 3]
            )
        await wait_until_projected(test_database.url, timeout_s=90)

        # Both workers took part: one consumer group, partitions shared.
        handled = [await asyncio.to_thread(events_handled, port) for _, port in workers]
        assert all(h > 0 for h in handled), handled

        # The Redis hash agrees with the SQL row and the store.
        key = auction_key(str(watched.auction_id))
        raw = await live.hgetall(key)
        fields = {_text(k): _text(v) for k, v in raw.items()}
        with psycopg.connect(test_database.url) as conn:
            row = conn.execute(
                "SELECT highest_amount, bid_count, version FROM read_model.auctions WHERE id = %s",
                (watched.auction_id,),
            ).fetchone()
        assert row is not None
        stored = store.load(watched.auction_id)
        assert stored is not None
        assert (Decimal(fields["highest_amount"]), int(fields["bid_count"])) == (row[0], row[1])
        assert int(fields["version"]) == row[2] == stored.version

        # Live updates: one BID_PLACED per bid on the watched auction, in order.
        messages: list[dict[str, Any]] = []
        quiet_until = time.monotonic() + 2.0
        while time.monotonic() < quiet_until:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.2)
            if message is not None:
                messages.append(json.loads(message["data"]))
                quiet_until = time.monotonic() + 1.0
        bids = [m for m in messages if m["kind"] == "BID_PLACED"]
        assert len(bids) == int(fields["bid_count"])
        assert [m["position"] for m in bids] == sorted(m["position"] for m in bids)
        await pubsub.unsubscribe()
    finally:
        stop.set()
        await relay
        for process, _ in workers:
            process.send_signal(signal.SIGTERM)
        for process, _ in workers:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        await live.aclose()


async def test_a_poison_event_is_dead_lettered_not_skipped(
    test_database: TestDatabase, kafka: KafkaTarget, redis_url: str, tmp_path: Path
) -> None:
    from aiokafka import AIOKafkaProducer

    from infra.cli.topics_command import create_topics
    from streams.topics import PROJECTION_DEAD_LETTERS
    from tests.support.kafka import read_all

    await create_topics(kafka.bootstrap, 6)
    marker = f"poison-{uuid.uuid4().hex[:8]}"
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(
            "verachain.auction.events", key=marker.encode(), value=b"{not json"
        )
        await producer.send_and_wait(
            "verachain.auction.events",
            key=marker.encode(),
            value=json.dumps({"type": "NoSuchEvent", "aggregate_id": marker}).encode(),
        )
    finally:
        await producer.stop()
    (tmp_path / "w").mkdir()
    process, port = start_worker(
        test_database, kafka, redis_url, f"test-{uuid.uuid4().hex[:8]}", tmp_path / "w"
    )
    try:
        rows: list[Any] = []
        for _ in range(300):
            with psycopg.connect(test_database.url) as conn:
                exists = conn.execute(
                    "SELECT to_regclass('verachain_projection_dead_letters')"
                ).fetchone()
                if exists and exists[0]:
                    rows = conn.execute(
                        "SELECT error, aggregate_id FROM verachain_projection_dead_letters "
                        "WHERE message::text LIKE %s OR aggregate_id = %s",
                        ("%" + b"{not json".hex() + "%", marker),
                    ).fetchall()
            if len(rows) >= 2:
                break
            await asyncio.sleep(0.1)
        errors = sorted(str(r[0]) for r in rows)
        assert len(errors) == 2, errors
        assert any("not JSON" in e for e in errors)
        assert any("NoSuchEvent" in e for e in errors)
        text = await asyncio.to_thread(_metrics_text, port)
        assert "verachain_projection_dead_letters_total 2.0" in text
        dead = await read_all(kafka.bootstrap, [PROJECTION_DEAD_LETTERS], expect_at_least=2)
        assert len(dead) >= 2
        shown = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "infra.cli", "projections", "status"],
            env={
                **os.environ,
                "VERACHAIN_DATABASE_URL": test_database.url,
                "PYTHONPATH": REPO_ROOT,
            },
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert shown.returncode == 1, shown.stderr  # dead letters present: a check failed
        assert "dead letters" in shown.stdout
        assert "NoSuchEvent" in shown.stdout
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _metrics_text(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        return str(response.read().decode())
