"""The long-lived parts of an API process, opened once at start-up and closed at shutdown:
the read models' connection pool and Redis client, the event store and a command bus (so
concurrent HTTP mutations are group-committed like any other commands)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, Histogram
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis

from api.live_hub import LiveHub
from api.operation_metrics import batch_observer, operation_histogram
from api.pipeline_gauges import PipelineGauges
from api.rate_limit import RateBudgets, RateLimiter
from api.read_models import ReadModels
from api.response_cache import ResponseCache
from commands.bus import CommandBus
from commands.store import EventStore
from infra.bootstrap import NotConfigured, build_bus, build_event_store
from infra.contacts import ensure_contacts_schema
from infra.evidence_store import EvidenceStore, ensure_evidence_schema
from infra.report_index import ensure_report_schema
from infra.settings import Settings
from infra.tokens import load_or_create_secret
from streams.audit_schema import ensure_audit_schema
from streams.sql_projection import ensure_read_model_schema

DEFAULT_MIN_POSITION_WAIT_S = 2.0


@dataclass
class ApiServices:
    settings: Settings
    pool: AsyncConnectionPool[AsyncConnection[Any]]
    redis: Redis
    store: EventStore
    bus: CommandBus
    read: ReadModels
    registry: CollectorRegistry
    jwt_secret: str
    evidence: EvidenceStore
    hub: LiveHub | None = None
    operation_seconds: Histogram | None = None
    pipeline: PipelineGauges | None = None
    limiter: RateLimiter | None = None
    jwt_audience: str | None = None
    min_position_wait_s: float = DEFAULT_MIN_POSITION_WAIT_S
    response_cache: ResponseCache | None = None


@contextlib.asynccontextmanager
async def open_services(
    settings: Settings,
    registry: CollectorRegistry | None = None,
    *,
    min_position_wait_s: float = DEFAULT_MIN_POSITION_WAIT_S,
) -> AsyncIterator[ApiServices]:
    if not settings.database_url or not settings.redis_url:
        raise NotConfigured("VERACHAIN_DATABASE_URL and VERACHAIN_REDIS_URL must be set")
    registry = registry or CollectorRegistry()
    pool: AsyncConnectionPool[AsyncConnection[Any]] = AsyncConnectionPool(
        settings.database_url, min_size=1, max_size=8, open=False
    )
    await pool.open(wait=True)
    await ensure_read_model_schema(pool)  # queries may come before any worker started
    await ensure_audit_schema(pool)  # and before the audit log's first append
    await ensure_evidence_schema(pool)  # the API is the only writer of evidence
    await ensure_contacts_schema(pool)  # callers set their e-mail before any worker ran
    await ensure_report_schema(pool)  # reports are listed before any worker wrote one
    redis = Redis.from_url(settings.redis_url)
    store = build_event_store(settings)
    read = ReadModels(pool, redis)
    hub = LiveHub(settings.redis_url, registry)
    await hub.start()
    try:
        async with build_bus(settings, store) as bus:
            bus.processor.stats.listeners.append(batch_observer(registry))
            yield ApiServices(
                settings=settings,
                pool=pool,
                redis=redis,
                store=store,
                bus=bus,
                read=read,
                response_cache=ResponseCache(
                    pool, read.schema, settings.query_cache_size, registry=registry
                ),
                registry=registry,
                jwt_secret=settings.jwt_secret or load_or_create_secret(settings.data_dir),
                evidence=EvidenceStore(pool),
                min_position_wait_s=min_position_wait_s,
                limiter=RateLimiter(redis, RateBudgets.from_env(os.environ), registry=registry),
                hub=hub,
                operation_seconds=operation_histogram(registry),
                pipeline=PipelineGauges(registry),
            )
    finally:
        await hub.stop()
        store.close()
        await redis.aclose()
        await pool.close()
