"""`verachain bench pipeline`: the whole write → Kafka → projection → Redis path.

1. Latency: bids at a fixed rate through the command bus, with the relay, one worker and
   one reactor running (as `verachain dev` runs them; --no-reactor leaves it out); for each
   bid, the time from the command's acknowledgement to its live-update message on Redis
   pub/sub (matched by global position).
2. Throughput: a fresh worker (a new consumer group) projects the whole backlog; its rate
   is compared, in the same run, with a raw aiokafka consumer reading the same topics and
   with a Faust agent that only counts them (Faust's own ceiling, bench/faust_ceiling.py)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import psycopg
from aiokafka import AIOKafkaConsumer
from prometheus_client import CollectorRegistry
from psycopg import sql

from infra.bench.live_latency import Progress, measure_latency
from infra.dev_stack import one_machine_env
from infra.read_model_status import read_model_lag
from infra.relay_runner import run_relay
from infra.settings import Settings
from projections.sql_schema import LIVE_SCHEMA
from streams.topics import event_topics

TARGET_P99_MS = 100.0
TARGET_WORKER_EVENTS_PER_S = 5000.0


def start_worker(settings: Settings, group: str, kind: str = "worker") -> subprocess.Popen[bytes]:
    """A `verachain worker` (or `reactor`, in the group beside `group`) process; its log goes
    to <data dir>/bench-<group>[-reactor].log."""
    log_path = worker_log_path(settings, group if kind == "worker" else f"{group}-{kind}")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    env = {**one_machine_env(settings), "VERACHAIN_WORKER_GROUP": group}  # as dev runs it
    # A file, not a pipe: nobody reads the child's output while it runs.
    with log_path.open("wb") as log_file:
        return subprocess.Popen(  # noqa: S603 - worker or reactor, our own module
            [sys.executable, "-m", "infra.cli", kind],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )


def worker_log_path(settings: Settings, group: str) -> Path:
    return settings.data_dir / f"bench-{group}.log"


def stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


async def wait_for_lag_zero(database_url: str, timeout_s: float) -> float:
    """Seconds from the first applied event until the read model reached the store (the
    worker's start-up and group join excluded); raises after timeout_s.

    Polled every 20 ms with a query that reads only the read model's small aggregate
    tables: every aggregate's row is at its stored version exactly when the sum of their
    versions equals the number of stored events (versions are dense from 1). The full lag
    query groups the whole event store, and polling it was a PostgreSQL core's worth of
    load taken from the worker it measured."""
    started = time.perf_counter()
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        stored = await _scalar(conn, sql.SQL("SELECT count(*) FROM verachain_events"))
        first_progress: float | None = None
        initial: int | None = None
        while time.perf_counter() - started < timeout_s:
            applied = await _applied_versions(conn)
            if initial is None:
                initial = applied
            elif first_progress is None and applied > initial:
                first_progress = time.perf_counter()
            # The full query confirms (it runs once or twice, not every 20 ms).
            if applied >= stored and await asyncio.to_thread(read_model_lag, database_url) == 0:
                return time.perf_counter() - (first_progress or started)
            await asyncio.sleep(0.02)
    msg = f"the read model did not catch up within {timeout_s} s"
    raise TimeoutError(msg)


async def _applied_versions(conn: psycopg.AsyncConnection[Any]) -> int:
    exists = sql.SQL("SELECT (to_regclass(%s) IS NOT NULL)::int")
    if await _scalar(conn, exists, (f"{LIVE_SCHEMA}.auctions",)) == 0:
        return 0
    return await _scalar(conn, _SUM_OF_VERSIONS)


async def _scalar(
    conn: psycopg.AsyncConnection[Any], query: sql.Composed | sql.SQL, params: tuple[Any, ...] = ()
) -> int:
    cursor = await conn.execute(query, params)
    row = await cursor.fetchone()
    return int(row[0] or 0) if row else 0


_SUM_OF_VERSIONS = sql.SQL("SELECT {}").format(
    sql.SQL(" + ").join(
        sql.SQL("(SELECT coalesce(sum(version), 0) FROM {}.{})").format(
            sql.Identifier(LIVE_SCHEMA), sql.Identifier(table)
        )
        for table in ("products", "verifications", "certificates", "auctions")
    )
)


@dataclass
class RawRead:
    events_per_s: float
    on_broker: dict[int, float]  # global position -> the record's timestamp (s)


async def raw_consumer_read(bootstrap: str, expected: int) -> RawRead:
    """Events per second a plain aiokafka consumer reads from the event topics, and when
    each event reached the broker (the record timestamp set by the relay's producer)."""
    consumer = AIOKafkaConsumer(
        *event_topics(),
        bootstrap_servers=bootstrap,
        group_id=f"bench-raw-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    on_broker: dict[int, float] = {}
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
                    # The same decoding a projection does.
                    envelope = json.loads(record.value or b"null")
                    on_broker.setdefault(int(envelope["position"]), record.timestamp / 1000)
                    count += 1
        elapsed = time.perf_counter() - (started or time.perf_counter())
        return RawRead(count / elapsed if elapsed > 0 else 0.0, on_broker)
    finally:
        await consumer.stop()


async def faust_ceiling_rate(settings: Settings, expected: int) -> float:
    """Events per second of a Faust agent that only counts (infra/bench/faust_ceiling.py)."""
    group = f"bench-ceiling-{uuid.uuid4().hex[:8]}"
    out = settings.data_dir / f"{group}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **settings.to_env(), "VERACHAIN_WORKER_GROUP": group}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "infra.bench.faust_ceiling",
        str(expected),
        str(out),
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        await asyncio.wait_for(process.wait(), timeout=300)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    try:
        figures = json.loads(out.read_text())
    except FileNotFoundError as e:
        msg = f"the Faust ceiling run wrote no figures (exit {process.returncode})"
        raise RuntimeError(msg) from e
    finally:
        out.unlink(missing_ok=True)
    return float(figures["messages"]) / float(figures["seconds"])


async def run_pipeline_bench(
    settings: Settings, rate: float, seconds: float, progress: Progress, *, reactor: bool = True
) -> dict[str, Any]:
    assert settings.database_url is not None
    assert settings.kafka_bootstrap is not None
    stop = asyncio.Event()
    relay = asyncio.create_task(run_relay(settings, stop, CollectorRegistry()))
    group = f"bench-{uuid.uuid4().hex[:8]}"
    worker = start_worker(settings, group)
    # The reactor reads the same topics in its own group: the bids are scored (and maybe
    # flagged) while the projection is timed, as in a real deployment.
    reacting = start_worker(settings, group, "reactor") if reactor else None
    try:
        caught_up = partial(wait_for_lag_zero, settings.database_url, 120)
        latency = await measure_latency(settings, rate, seconds, progress, caught_up)
    except TimeoutError as e:
        msg = f"{e} (the worker's log: {worker_log_path(settings, group)})"
        raise TimeoutError(msg) from e
    finally:
        stop_process(worker)
        if reacting is not None:
            stop_process(reacting)
    # Events, not the head position: ids are not dense (a transaction that lost an optimistic
    # concurrency race burned its ids, and the worker's own agents write beside the bench).
    with psycopg.connect(settings.database_url) as conn:
        row = conn.execute("SELECT count(*) FROM verachain_events").fetchone()
    head = int(row[0]) if row else 0
    # Throughput: a fresh read model and a fresh consumer group over the whole backlog.
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS read_model CASCADE")
    fresh_group = f"bench-{uuid.uuid4().hex[:8]}"
    fresh = start_worker(settings, fresh_group)
    try:
        catch_up_s = await wait_for_lag_zero(settings.database_url, 300)
    except TimeoutError as e:
        msg = f"{e} (the worker's log: {worker_log_path(settings, fresh_group)})"
        raise TimeoutError(msg) from e
    finally:
        stop_process(fresh)
        stop.set()
        await relay
    raw = await raw_consumer_read(settings.kafka_bootstrap, head)
    raw_rate = raw.events_per_s
    ceiling = await faust_ceiling_rate(settings, head)
    worker_rate = head / catch_up_s if catch_up_s else 0.0
    end_to_end = latency.end_to_end()
    relay_leg = latency.relay_leg(raw.on_broker)
    worker_leg = latency.worker_leg(raw.on_broker)
    p99 = end_to_end.percentile_ms(0.99)
    lost = latency.missing
    return {
        "benchmark": "pipeline",
        "rate_commands_per_s": rate,
        "seconds": seconds,
        "reactor_running": reactor,
        "acknowledged_bids": len(latency.acked),
        "live_updates_missing": lost,
        "latency_p50_ms": round(end_to_end.percentile_ms(0.50), 2),
        "latency_p99_ms": round(p99, 2),
        # Where the time goes: the relay (ack -> record on the broker), then the worker.
        "relay_leg_p50_ms": round(relay_leg.percentile_ms(0.50), 2),
        "relay_leg_p99_ms": round(relay_leg.percentile_ms(0.99), 2),
        "worker_leg_p50_ms": round(worker_leg.percentile_ms(0.50), 2),
        "worker_leg_p99_ms": round(worker_leg.percentile_ms(0.99), 2),
        "events_in_store": head,
        "worker_events_per_s": round(worker_rate, 1),
        "worker_catch_up_s": round(catch_up_s, 2),
        "raw_consumer_events_per_s": round(raw_rate, 1),
        "ratio_worker_to_raw": round(worker_rate / raw_rate, 3) if raw_rate else 0.0,
        "faust_null_agent_events_per_s": round(ceiling, 1),
        "ratio_worker_to_faust_null_agent": round(worker_rate / ceiling, 3) if ceiling else 0.0,
        "targets": {"p99_ms": TARGET_P99_MS, "worker_events_per_s": TARGET_WORKER_EVENTS_PER_S},
        "met": p99 <= TARGET_P99_MS and worker_rate >= TARGET_WORKER_EVENTS_PER_S and lost == 0,
    }
