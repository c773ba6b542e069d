"""`verachain bench relay`: how fast the relay publishes a stored history to Kafka.

One run, one database of its own, one broker: seed N real domain events, measure a bare
aiokafka producer sending N pre-serialized messages to that broker (the ceiling), then start
the relay from position 0 and time it until its recorded position reaches the store's head."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from prometheus_client import CollectorRegistry

from commands.store import EventStore
from infra.bench.measurements import peak_rss_mb
from infra.bench.process_memory import process_tree_rss_mb
from infra.bench.raw_producer import measure_raw_producer
from infra.bench.relay_seed import SeedPlan, seed_history
from infra.bootstrap import build_event_store
from infra.relay_runner import relay_config, run_relay
from infra.settings import Settings
from streams.history_reader import recorded_envelope_of
from streams.relay_positions import RelayPositions
from streams.relay_prepare import to_message

TARGET_EVENTS_PER_S = 20_000.0
RAW_VALUE_BYTES = 500
POLL_S = 0.01
RSS_EVERY_S = 0.25
STALL_TIMEOUT_S = 60.0  # no progress for this long: the relay is stuck
STALL_FAILURES = 5  # or this many failures (each logged as a warning) without progress

PUBLISHED_POSITION = "verachain_relay_published_position"
PUBLISHED_EVENTS = "verachain_relay_published_events_total"
FAILURES = "verachain_relay_failures_total"

# (phase, amount done): phases "seed", "raw" and "relay", each counting events.
ProgressSink = Callable[[str, int], None]


class RelayStalled(RuntimeError):
    """The relay stopped making progress before it reached the store's head."""


@dataclass(frozen=True, slots=True)
class RelayRun:
    published: int  # messages the broker acknowledged
    position: int  # the position the relay recorded
    seconds: float
    failures: int
    peak_rss_mb: float  # sampled while it ran, its worker processes included

    @property
    def per_second(self) -> float:
        return self.published / self.seconds if self.seconds else 0.0


async def run_relay_bench(
    settings: Settings, events: int, on_progress: ProgressSink
) -> dict[str, Any]:
    """Seed `events` events, measure the ceiling, measure the relay; return the figures.
    `settings` name a database with the store's tables and a broker."""
    bootstrap = settings.kafka_bootstrap
    if not bootstrap:
        raise ValueError("the relay benchmark needs a broker (settings.kafka_bootstrap)")
    settings = replace(settings, relay_metrics_port=0)
    store = build_event_store(settings)
    try:
        seeding = time.perf_counter()
        head = await seed_history(
            settings, store, SeedPlan(events), lambda n: on_progress("seed", n)
        )
        seed_seconds = time.perf_counter() - seeding
        envelope_bytes = await asyncio.to_thread(mean_envelope_bytes, store)
    finally:
        store.close()
    raw = await measure_raw_producer(
        bootstrap,
        head,
        partitions=settings.kafka_partitions,
        idempotent=settings.idempotent_producer,
        value_bytes=RAW_VALUE_BYTES,
        on_progress=lambda n: on_progress("raw", n),
    )
    relay = await measure_relay(settings, head, lambda n: on_progress("relay", n))
    config = relay_config(settings)
    return {
        "benchmark": "relay",
        "events": head,
        "relay_events_per_s": round(relay.per_second, 1),
        "raw_producer_events_per_s": round(raw.per_second, 1),
        "ratio": round(relay.per_second / raw.per_second, 3) if raw.per_second else 0.0,
        "target_events_per_s": int(TARGET_EVENTS_PER_S),
        "met": relay.per_second >= TARGET_EVENTS_PER_S,
        "relay": {
            "published": relay.published,
            "position": relay.position,
            "seconds": round(relay.seconds, 3),
            "batch_size": config.batch_size,
            "prepare_processes": config.prepare_processes,
            "failures": relay.failures,
            "mean_envelope_bytes": envelope_bytes,
            "peak_rss_mb": round(relay.peak_rss_mb, 1),
        },
        "raw_producer": {
            "messages": raw.messages,
            "seconds": round(raw.seconds, 3),
            "value_bytes": RAW_VALUE_BYTES,
        },
        "seed_seconds": round(seed_seconds, 2),
        "bench_process_peak_rss_mb": round(peak_rss_mb(), 1),
    }


async def measure_relay(
    settings: Settings, head: int, on_progress: Callable[[int], None]
) -> RelayRun:
    """Run the relay from the store's start until its recorded position reaches `head`."""
    registry = CollectorRegistry()
    stop = asyncio.Event()
    rss = process_tree_rss_mb()
    started = time.perf_counter()
    relay = asyncio.create_task(
        run_relay(settings, stop, registry, audit=False), name="bench-relay"
    )
    try:
        position, moved_at, failures_then, rss_at = 0, started, 0.0, started
        while position < head:
            await asyncio.sleep(POLL_S)
            if relay.done():
                relay.result()  # raises what stopped it
                raise RelayStalled("the relay returned before reaching the store's head")
            now = time.perf_counter()
            if now - rss_at >= RSS_EVERY_S:
                rss, rss_at = max(rss, process_tree_rss_mb()), now
            failures = _sample(registry, FAILURES)
            if (latest := int(_sample(registry, PUBLISHED_POSITION))) != position:
                position, moved_at, failures_then = latest, now, failures
                on_progress(position)
            elif now - moved_at > STALL_TIMEOUT_S or failures - failures_then >= STALL_FAILURES:
                msg = f"the relay is stuck at position {position} of {head}"
                raise RelayStalled(msg)
        seconds = time.perf_counter() - started
        rss = max(rss, process_tree_rss_mb())
    finally:
        stop.set()
        await relay
    return RelayRun(
        published=int(_sample(registry, PUBLISHED_EVENTS)),
        position=await _recorded_position(settings),
        seconds=seconds,
        failures=int(_sample(registry, FAILURES)),
        peak_rss_mb=rss,
    )


def mean_envelope_bytes(store: EventStore, sample: int = 2000) -> int:
    """The mean size of the envelopes of the last `sample` stored events."""
    start = max(0, store.head_position() - sample)
    notifications = store.recorder.select_notifications(start, sample, inclusive_of_start=False)
    sizes = [len(to_message(recorded_envelope_of(store, n)).value) for n in notifications]
    return round(sum(sizes) / len(sizes)) if sizes else 0


async def _recorded_position(settings: Settings) -> int:
    if not settings.database_url:
        raise ValueError("the relay benchmark needs a database (settings.database_url)")
    positions = RelayPositions(settings.database_url)
    try:
        return (await positions.load()).position
    finally:
        await positions.close()


def _sample(registry: CollectorRegistry, name: str) -> float:
    return registry.get_sample_value(name) or 0.0
