"""`verachain bench pipeline`: the whole write → Kafka → projection → Redis path.

1. Latency: bids at a fixed rate through the command bus, with the relay and one worker
   running; for each bid, the time from the command's acknowledgement to its live-update
   message on Redis pub/sub (matched by global position).
2. Throughput: a fresh worker (a new consumer group) projects the whole backlog; its rate
   is compared with a raw aiokafka consumer reading the same topics in the same run."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from aiokafka import AIOKafkaConsumer
from prometheus_client import CollectorRegistry
from redis.asyncio import Redis

from commands.actor import Actor, Role
from commands.messages import PlaceBid
from domain.errors import DomainError
from infra.bench.measurements import PhaseMeasurement
from infra.bootstrap import build_bus, build_event_store
from infra.read_model_status import read_model_lag
from infra.relay_runner import run_relay
from infra.scenario import open_auctions
from infra.settings import Settings
from streams.topics import event_topics

TARGET_P99_MS = 100.0
TARGET_WORKER_EVENTS_PER_S = 5000.0

Progress = Callable[[str, float], None]


def start_worker(settings: Settings, group: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        **settings.to_env(),
        "VERACHAIN_WORKER_GROUP": group,
        "VERACHAIN_WORKER_METRICS_PORT": "0",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "infra.cli", "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


async def wait_for_lag_zero(database_url: str, timeout_s: float) -> float:
    """Seconds from the first applied event until the read model reached the store (the
    worker's start-up and group join excluded); raises after timeout_s."""
    started = time.perf_counter()
    initial = await asyncio.to_thread(read_model_lag, database_url)
    first_progress: float | None = None
    while time.perf_counter() - started < timeout_s:
        lag = await asyncio.to_thread(read_model_lag, database_url)
        if first_progress is None and lag < initial:
            first_progress = time.perf_counter()
        if lag == 0:
            return time.perf_counter() - (first_progress or started)
        await asyncio.sleep(0.02)
    msg = f"the read model did not catch up within {timeout_s} s"
    raise TimeoutError(msg)


class LiveUpdateListener:
    """Receives every auction live update and notes when each position arrived."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self.received: dict[int, float] = {}
        self.expected: set[int] = set()
        self.all_seen = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._pubsub = self.redis.pubsub()
        await self._pubsub.psubscribe("verachain:auction:*")
        self._task = asyncio.create_task(self._listen())

    async def _listen(self) -> None:
        while True:
            message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            if message is None:
                continue
            update = json.loads(message["data"])
            if update.get("kind") == "BID_PLACED":
                self.received[int(update["position"])] = time.perf_counter()
                if self.expected and self.expected <= self.received.keys():
                    self.all_seen.set()

    async def wait_for(self, positions: set[int], timeout_s: float) -> None:
        self.expected = positions
        if positions <= self.received.keys():
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.all_seen.wait(), timeout_s)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
        await self._pubsub.aclose()  # type: ignore[no-untyped-call]


async def paced_bids(
    settings: Settings, rate: float, seconds: float, progress: Progress
) -> dict[int, float]:
    """Dispatch bids at `rate` per second (open loop); return ack time by position."""
    acked: dict[int, float] = {}
    store = build_event_store(settings)
    try:
        async with build_bus(settings, store) as bus:
            opened = await open_auctions(
                bus, 50, now=datetime.now(UTC), duration=timedelta(hours=2)
            )
            await wait_for_lag_zero(settings.database_url or "", 120)
            bidders = [Actor.of(f"pipeline-bidder-{i}", Role.BIDDER) for i in range(50)]
            amounts = {a.auction_id: a.reserve for a in opened}

            async def bid(n: int) -> None:
                auction = opened[n % len(opened)]
                amount = amounts[auction.auction_id]
                amounts[auction.auction_id] = amount + auction.increment
                with contextlib.suppress(DomainError):
                    result = await bus.dispatch(
                        PlaceBid(auction_id=auction.auction_id, amount=amount),
                        bidders[n % len(bidders)],
                    )
                    acked[result.position] = time.perf_counter()

            total = int(rate * seconds)
            started = time.perf_counter()
            tasks = []
            for n in range(total):
                # Open loop: command n leaves at its slot whatever the others are doing.
                delay = started + n / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(bid(n)))
                if n % 100 == 0:
                    progress("latency", (n + 1) / total)
            await asyncio.gather(*tasks)
            progress("latency", 1.0)
    finally:
        store.close()
    return acked


async def measure_latency(
    settings: Settings, rate: float, seconds: float, progress: Progress
) -> tuple[PhaseMeasurement, int]:
    """Latency from each bid's acknowledgement to its live message; and how many never came."""
    assert settings.redis_url is not None
    redis = Redis.from_url(settings.redis_url)
    listener = LiveUpdateListener(redis)
    await listener.start()
    try:
        acked = await paced_bids(settings, rate, seconds, progress)
        await listener.wait_for(set(acked), timeout_s=30)
    finally:
        await listener.stop()
        await redis.aclose()
    measurement = PhaseMeasurement("ack → live update")
    lost = 0
    for position, ack in acked.items():
        seen = listener.received.get(position)
        if seen is None:
            lost += 1
        else:
            measurement.record(max(0.0, seen - ack), None)
    measurement.seconds = seconds
    return measurement, lost


async def raw_consumer_rate(bootstrap: str, expected: int) -> float:
    """Events per second a plain aiokafka consumer reads from the event topics."""
    consumer = AIOKafkaConsumer(
        *event_topics(),
        bootstrap_servers=bootstrap,
        group_id=f"bench-raw-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        count = 0
        started = None
        deadline = time.perf_counter() + 120
        while count < expected and time.perf_counter() < deadline:
            batch = await consumer.getmany(timeout_ms=500, max_records=10_000)
            if batch and started is None:
                started = time.perf_counter()
            for records in batch.values():
                for record in records:
                    json.loads(record.value or b"null")  # the same decoding a projection does
                    count += 1
        elapsed = time.perf_counter() - (started or time.perf_counter())
        return count / elapsed if elapsed > 0 else 0.0
    finally:
        await consumer.stop()


async def run_pipeline_bench(
    settings: Settings, rate: float, seconds: float, progress: Progress
) -> dict[str, Any]:
    assert settings.database_url is not None
    assert settings.kafka_bootstrap is not None
    stop = asyncio.Event()
    relay = asyncio.create_task(run_relay(settings, stop, CollectorRegistry()))
    worker = start_worker(settings, f"bench-{uuid.uuid4().hex[:8]}")
    try:
        latency, lost = await measure_latency(settings, rate, seconds, progress)
    finally:
        stop_process(worker)
    store = build_event_store(settings)
    try:
        head = store.head_position()
    finally:
        store.close()
    # Throughput: a fresh read model and a fresh consumer group over the whole backlog.
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS read_model CASCADE")
    fresh = start_worker(settings, f"bench-{uuid.uuid4().hex[:8]}")
    try:
        catch_up_s = await wait_for_lag_zero(settings.database_url, 300)
    finally:
        stop_process(fresh)
        stop.set()
        await relay
    raw_rate = await raw_consumer_rate(settings.kafka_bootstrap, head)
    worker_rate = head / catch_up_s if catch_up_s else 0.0
    p99 = latency.percentile_ms(0.99)
    return {
        "benchmark": "pipeline",
        "rate_commands_per_s": rate,
        "seconds": seconds,
        "acknowledged_bids": len(latency.latencies_s) + lost,
        "live_updates_missing": lost,
        "latency_p50_ms": round(latency.percentile_ms(0.50), 2),
        "latency_p99_ms": round(p99, 2),
        "events_in_store": head,
        "worker_events_per_s": round(worker_rate, 1),
        "worker_catch_up_s": round(catch_up_s, 2),
        "raw_consumer_events_per_s": round(raw_rate, 1),
        "ratio_worker_to_raw": round(worker_rate / raw_rate, 3) if raw_rate else 0.0,
        "targets": {"p99_ms": TARGET_P99_MS, "worker_events_per_s": TARGET_WORKER_EVENTS_PER_S},
        "met": p99 <= TARGET_P99_MS and worker_rate >= TARGET_WORKER_EVENTS_PER_S and lost == 0,
    }
