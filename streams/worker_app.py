"""The Faust app of `verachain worker`: the read-model projection agent (the only agent on
the event topics), the job agents of the light kinds (streams/jobs/kinds.py), the auction
timer and the scheduler (streams/schedules/). The agents that react to events with side
effects run in `verachain reactor` (streams/reactor_app.py says why).

Faust's defaults make a group join take ~30 s against Tansu; the session, heartbeat and
rebalance timeouts below bring it to a few seconds (FINDINGS.md)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import faust
from prometheus_client import CollectorRegistry
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis

from infra.bootstrap import NotConfigured, build_event_store
from infra.settings import Settings
from streams.auction_closer import run_closer
from streams.consumer_groups import worker_group
from streams.dead_letters import DeadLetters
from streams.faust_fetch_wait import limit_fetch_wait
from streams.history_reader import aggregate_history
from streams.jobs.agents import install_job_agents
from streams.jobs.job_metrics import JobMetrics
from streams.jobs.kinds import worker_registry
from streams.projection_metrics import ProjectionMetrics
from streams.projector import Projector
from streams.redis_projection import RedisProjection
from streams.schedules.scheduler import run_scheduler
from streams.sql_projection import SqlProjection
from streams.topics import PROJECTION_DEAD_LETTERS, event_topics

log = logging.getLogger(__name__)

BATCH = 500
FETCH_MAX_WAIT_MS = 15
BATCH_WINDOW_S = 0.01


def create_worker_app(settings: Settings, registry: CollectorRegistry) -> faust.App:
    if not settings.kafka_bootstrap:
        raise NotConfigured("VERACHAIN_KAFKA_BOOTSTRAP is not set (or run `verachain dev`)")
    if not settings.database_url or not settings.redis_url:
        raise NotConfigured("VERACHAIN_DATABASE_URL and VERACHAIN_REDIS_URL must be set")
    limit_fetch_wait(FETCH_MAX_WAIT_MS)
    app = faust.App(worker_group(settings), **faust_options(settings))
    events = app.topic(*event_topics(), value_type=bytes, key_type=bytes)
    dead_letter_topic = app.topic(PROJECTION_DEAD_LETTERS, value_type=bytes, key_type=bytes)
    metrics = ProjectionMetrics(registry)

    # One actor per worker (concurrency=1): each partition's events are applied strictly
    # in order, one at a time; more throughput comes from more partitions and workers.
    @app.agent(events, concurrency=1)
    async def project_events(stream: Any) -> AsyncIterator[None]:
        async with projection_resources(settings, metrics, dead_letter_topic) as projector:
            # Up to BATCH events (or what arrived within BATCH_WINDOW_S) per transaction.
            async for messages in stream.take(BATCH, within=BATCH_WINDOW_S):
                await projector.handle_batch(list(messages))
                yield None

    async def close_due_auctions() -> None:
        # Every worker runs it; only the group's leader closes (one closer in the group).
        await run_closer(settings, app.is_leader)

    app.task(close_due_auctions)

    async def fire_schedules() -> None:
        # Like the auction timer: every worker runs it, only the group's leader fires.
        await run_scheduler(settings, app.is_leader)

    app.task(fire_schedules)
    # Jobs (streams/jobs/) run in the same app and consumer group: one process kind to
    # deploy, and the group's partitions spread the jobs over the workers like the events.
    install_job_agents(app, settings, worker_registry(settings), JobMetrics(registry))
    return app


def faust_options(settings: Settings) -> dict[str, Any]:
    """The Faust settings of the projection workers (the benchmark's ceiling uses them too)."""
    return {
        "broker": f"kafka://{settings.kafka_bootstrap}",
        "value_serializer": "raw",
        "key_serializer": "raw",
        "store": "memory://",
        "web_enabled": False,
        "datadir": str(settings.data_dir / "faust"),
        "topic_partitions": settings.kafka_partitions,
        "topic_allow_declare": False,  # the relay and `verachain topics create` own the topics
        "consumer_auto_offset_reset": "earliest",
        "broker_session_timeout": 6,
        "broker_heartbeat_interval": 1,
        "broker_rebalance_timeout": 8,
        "producer_acks": -1,
        # Stop without waiting for every agent to acknowledge what it holds: several agents
        # share the event topics, and one stopped mid-message kept `verachain worker` from
        # exiting on SIGTERM for good (Faust's wait_empty). Nothing is lost: offsets are
        # committed only for acknowledged messages, the rest is delivered again, and every
        # agent here is idempotent.
        "stream_wait_empty": False,
    }


class _Resources:
    def __init__(
        self, settings: Settings, metrics: ProjectionMetrics, dead_letter_topic: Any
    ) -> None:
        self.settings = settings
        self.metrics = metrics
        self.dead_letter_topic = dead_letter_topic
        self.pool: AsyncConnectionPool[AsyncConnection[Any]] | None = None
        self.redis: Redis | None = None
        self.store: Any = None

    async def __aenter__(self) -> Projector:
        assert self.settings.database_url is not None
        assert self.settings.redis_url is not None
        self.pool = AsyncConnectionPool(
            self.settings.database_url, min_size=1, max_size=4, open=False
        )
        await self.pool.open(wait=True)
        self.redis = Redis.from_url(self.settings.redis_url)
        self.store = build_event_store(self.settings)
        store = self.store

        async def repair(aggregate_id: str, after: int, up_to: int) -> list[dict[str, Any]]:
            history: list[dict[str, Any]] = await aggregate_history(
                store, aggregate_id, after, up_to
            )
            return history

        async def publish(key: bytes, value: bytes) -> None:
            await self.dead_letter_topic.send(key=key, value=value)

        sql = SqlProjection(self.pool, repair)
        await sql.ensure_schema()  # the dead-letter table too
        return Projector(
            sql, RedisProjection(self.redis), DeadLetters(self.pool, publish), self.metrics
        )

    async def __aexit__(self, *_: object) -> None:
        if self.redis is not None:
            await self.redis.aclose()
        if self.pool is not None:
            await self.pool.close()
        if self.store is not None:
            self.store.close()


def projection_resources(
    settings: Settings, metrics: ProjectionMetrics, dead_letter_topic: Any
) -> _Resources:
    return _Resources(settings, metrics, dead_letter_topic)
