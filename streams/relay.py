"""The relay: follows the event store's notification log and publishes every event's
envelope to Kafka, at least once, in store order.

Ordering: events are sent in notification order and keyed by aggregate id, so one
aggregate's events share a partition. aiokafka keeps at most one request in flight per
broker and mutes a partition while its batch is in flight, so a retried batch is never
overtaken by a later one. A position is recorded only after the broker acknowledged every
message up to it; after any failure the relay resumes from the recorded position, so what
it resends are duplicates (consumers skip them by aggregate version), never gaps."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from eventsourcing.persistence import Notification

from commands.store import EventStore
from domain.catalog import aggregate_type_of
from domain.envelope import envelope_of
from domain.event_base import VeraEvent
from infra.kafka_admin import ensure_topics, existing_topics, recreate_topics
from streams.relay_metrics import RelayMetrics
from streams.relay_positions import RelayPosition, RelayPositions
from streams.topics import RELAY_MARKER, TopicSpec, topic_for_aggregate

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RelayConfig:
    bootstrap: str
    topics: Sequence[TopicSpec]
    batch_size: int = 1000
    idle_poll_s: float = 1.0
    idempotent_producer: bool = False
    max_backoff_s: float = 5.0


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    topic: str
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]


def to_message(event: VeraEvent, position: int) -> OutgoingMessage:
    envelope = envelope_of(event, position)
    return OutgoingMessage(
        topic=topic_for_aggregate(aggregate_type_of(type(event))),
        key=str(event.originator_id).encode(),
        value=json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode(),
        headers=[
            ("event-type", type(event).TOPIC.encode()),
            ("schema-version", str(envelope["schema_version"]).encode()),
        ],
    )


class Relay:
    def __init__(
        self,
        store: EventStore,
        positions: RelayPositions,
        config: RelayConfig,
        metrics: RelayMetrics,
        wait_for_events: Callable[[float], Awaitable[None]],
    ) -> None:
        self.store = store
        self.positions = positions
        self.config = config
        self.metrics = metrics
        self._wait_for_events = wait_for_events  # returns early on a NOTIFY from the store
        self._producer: AIOKafkaProducer | None = None
        self._admin: AIOKafkaAdminClient | None = None

    async def run(self, stop: asyncio.Event) -> None:
        """Publish until `stop` is set; survive broker and database outages."""
        backoff = 0.2
        try:
            while not stop.is_set():
                try:
                    await self._start_clients()
                    await self.positions.ensure_table()
                    backoff = 0.2
                    await self._pump(stop)
                except asyncio.CancelledError:
                    raise
                except Exception as e:
                    self.metrics.failures.inc()
                    log.warning(
                        "relay interrupted (%s: %s); retrying in %.1fs",
                        type(e).__name__,
                        e,
                        backoff,
                        exc_info=log.isEnabledFor(logging.DEBUG),
                    )
                    await self.positions.close()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), timeout=backoff)
                    backoff = min(backoff * 2, self.config.max_backoff_s)
        finally:
            await self._close()

    async def _start_clients(self) -> None:
        """One producer for the relay's whole life: aiokafka reconnects by itself, and a
        second producer writing the same partitions while the first one still flushes is
        exactly what a broker must never see (Tansu corrupts a partition when it does)."""
        if self._admin is None:
            admin = AIOKafkaAdminClient(bootstrap_servers=self.config.bootstrap)
            await admin.start()
            self._admin = admin
        if self._producer is None:
            producer = AIOKafkaProducer(
                bootstrap_servers=self.config.bootstrap,
                acks="all",
                enable_idempotence=self.config.idempotent_producer,
                linger_ms=5,
                max_batch_size=1024 * 1024,
                request_timeout_ms=10_000,
            )
            try:
                await producer.start()
            except Exception:
                await producer.stop()
                raise
            self._producer = producer

    async def _close(self) -> None:
        await self.positions.close()
        producer, self._producer = self._producer, None
        admin, self._admin = self._admin, None
        if producer is not None:
            try:
                await producer.stop()
            except Exception:  # a dead broker: nothing left to flush
                log.debug("producer stop failed", exc_info=True)
        if admin is not None:
            try:
                await admin.close()
            except Exception:
                log.debug("admin close failed", exc_info=True)

    async def _check_broker(self, position: RelayPosition) -> RelayPosition:
        """Recreate the topics and start over when the broker lost them."""
        assert self._admin is not None
        if RELAY_MARKER in await existing_topics(self._admin):
            return position
        if position.published > 0:
            log.warning(
                "the broker lost its topics (marker %s missing): republishing from position 0",
                RELAY_MARKER,
            )
            self.metrics.republishes.inc()
        # No producer may live while the topics are made: its metadata refreshes can
        # auto-create them on the broker meanwhile, and Tansu corrupts a partition created
        # twice at once. Nothing is pending on it: every batch settles before the next.
        producer, self._producer = self._producer, None
        if producer is not None:
            await producer.stop()
        # The marker is created last: it exists only when every other topic does.
        specs = [s for s in self.config.topics if s.name != RELAY_MARKER]
        await recreate_topics(self._admin, specs)
        await ensure_topics(self._admin, [s for s in self.config.topics if s.name == RELAY_MARKER])
        await self._start_clients()
        fresh = RelayPosition(0, 0)
        await self.positions.save(fresh)
        return fresh

    async def _pump(self, stop: asyncio.Event) -> None:
        position = await self._check_broker(await self.positions.load())
        last_head_check = 0.0
        while not stop.is_set():
            if time.monotonic() - last_head_check >= 1.0:
                last_head_check = time.monotonic()
                self.metrics.observe_head(await asyncio.to_thread(self.store.head_position))
            notifications = await asyncio.to_thread(
                self.store.recorder.select_notifications,
                position.position,
                self.config.batch_size,
                inclusive_of_start=False,
            )
            if not notifications:
                self.metrics.observe_published(position.position)
                await self._wait_for_events(self.config.idle_poll_s)
                continue
            # Before every batch: is this still the broker we published to? Checking first
            # also means nothing is sent to a broker that is down, so nothing queued can
            # land on it later, when it is back empty.
            checked = await self._check_broker(position)
            if checked != position:
                position = checked
                continue
            started = time.perf_counter()
            await self._publish(notifications)
            position = RelayPosition(notifications[-1].id, position.published + len(notifications))
            await self.positions.save(position)
            self.metrics.published.inc(len(notifications))
            self.metrics.observe_head(max(notifications[-1].id, self.metrics.head))
            self.metrics.observe_published(position.position)
            self.metrics.batch_seconds.observe(time.perf_counter() - started)

    async def _publish(self, notifications: Sequence[Notification]) -> None:
        assert self._producer is not None
        futures: list[Awaitable[Any]] = []
        for n in notifications:
            event = self.store.mapper.to_domain_event(n)
            if not isinstance(event, VeraEvent):
                msg = f"notification {n.id} is not a VeraChain event ({n.topic})"
                raise TypeError(msg)
            message = to_message(event, n.id)
            futures.append(
                await self._producer.send(
                    message.topic, value=message.value, key=message.key, headers=message.headers
                )
            )
        # Wait for every message of the batch to settle, failed or not, before anything is
        # sent again: a resend must never overtake a message still queued from this batch.
        outcomes = await asyncio.gather(*futures, return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
