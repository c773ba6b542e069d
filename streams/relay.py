"""The relay: follows the event store's notification log and publishes every event's
envelope to Kafka, at least once, in store order.

Ordering: events are sent in notification order and keyed by aggregate id, so one
aggregate's events share a partition. aiokafka keeps at most one request in flight per
broker and mutes a partition while its batch is in flight, so a retried batch is never
overtaken by a later one. A position is recorded only after the broker acknowledged every
message up to it; after any failure the relay resumes from the recorded position, so what
it resends are duplicates (consumers skip them by aggregate version), never gaps.

Throughput: turning a stored event into its envelope (decoding it, envelope_of, JSON) is
pure Python and was more than half of the relay's time, on one core, with reading and the
wait for acknowledgements in series with it. So batches are prepared ahead, in worker
processes: each reads one range of notification ids below the store's head and returns
ready-to-send messages, while the relay publishes the prepared batches strictly in range
order, one at a time, each acknowledged before the next is sent, exactly as before."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from commands.store import EventStore
from infra.kafka_admin import ensure_topics, existing_topics, recreate_topics
from streams.relay_metrics import RelayMetrics
from streams.relay_positions import RelayPosition, RelayPositions
from streams.relay_prepare import (
    PartitionChooser,
    PreparedBatch,
    WireMessage,
    default_prepare_processes,
    open_worker_store,
    prepare_batch,
    prepare_in_worker,
    worker_started,
)
from streams.topics import RELAY_MARKER, TopicSpec

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RelayConfig:
    bootstrap: str
    topics: Sequence[TopicSpec]
    batch_size: int = 1000
    idle_poll_s: float = 1.0
    idempotent_producer: bool = False
    max_backoff_s: float = 5.0
    # Worker processes preparing batches; 0 prepares them on a thread of this process.
    prepare_processes: int = field(default_factory=default_prepare_processes)


def producer_options(bootstrap: str, *, idempotent: bool) -> dict[str, Any]:
    """The relay's producer settings (the relay benchmark's raw producer uses them too)."""
    return {
        "bootstrap_servers": bootstrap,
        "acks": "all",
        "enable_idempotence": idempotent,
        "linger_ms": 5,
        "max_batch_size": 1024 * 1024,
        "request_timeout_ms": 10_000,
    }


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
        self._preparers: Executor | None = None
        self._partitions = PartitionChooser()

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
                    if isinstance(e, BrokenProcessPool):  # a worker died: start new ones
                        await self._stop_preparers()
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
        if self._preparers is None:
            self._preparers = self._start_preparers()
        if self._admin is None:
            admin = AIOKafkaAdminClient(bootstrap_servers=self.config.bootstrap)
            await admin.start()
            self._admin = admin
        if self._producer is None:
            producer = AIOKafkaProducer(
                **producer_options(
                    self.config.bootstrap, idempotent=self.config.idempotent_producer
                )
            )
            try:
                await producer.start()
            except Exception:
                await producer.stop()
                raise
            self._producer = producer

    def _start_preparers(self) -> Executor:
        if self.config.prepare_processes <= 0:
            return ThreadPoolExecutor(max_workers=1, thread_name_prefix="relay-prepare")
        # spawn, not fork: this process runs threads (database pools, asyncio's executor).
        # Like everything started by multiprocessing's spawn, it needs the main module to
        # guard its work with `if __name__ == "__main__":` (the verachain CLI does).
        pool = ProcessPoolExecutor(
            max_workers=self.config.prepare_processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=open_worker_store,
            initargs=(type(self.store), dict(self.store.env)),
        )
        for _ in range(self.config.prepare_processes):  # start them while topics are made
            pool.submit(worker_started)
        return pool

    async def _stop_preparers(self) -> None:
        preparers, self._preparers = self._preparers, None
        if preparers is not None:
            await asyncio.to_thread(preparers.shutdown, wait=True, cancel_futures=True)

    async def _close(self) -> None:
        await self.positions.close()
        await self._stop_preparers()
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

    def _prepare(self, after: int, upto: int) -> asyncio.Future[PreparedBatch]:
        assert self._preparers is not None
        loop = asyncio.get_running_loop()
        if isinstance(self._preparers, ProcessPoolExecutor):
            return loop.run_in_executor(self._preparers, prepare_in_worker, after, upto)
        return loop.run_in_executor(self._preparers, prepare_batch, self.store, after, upto)

    async def _pump(self, stop: asyncio.Event) -> None:
        position = await self._check_broker(await self.positions.load())
        # Batches being prepared, in id order: ranges (after, upto] that follow each other
        # from the recorded position on, none beyond the last head the store reported.
        ahead: deque[asyncio.Future[PreparedBatch]] = deque()
        depth = 2 * max(1, self.config.prepare_processes)
        scheduled = head = position.position
        last_head_check = 0.0
        try:
            while not stop.is_set():
                stale_head = time.monotonic() - last_head_check >= 1.0
                if stale_head or (scheduled >= head and len(ahead) < depth):
                    last_head_check = time.monotonic()
                    head = await asyncio.to_thread(self.store.head_position)
                    self.metrics.observe_head(head)
                while len(ahead) < depth and scheduled < head:
                    upto = min(scheduled + self.config.batch_size, head)
                    ahead.append(self._prepare(scheduled, upto))
                    scheduled = upto
                if not ahead:
                    self.metrics.observe_published(position.position)
                    await self._wait_for_events(self.config.idle_poll_s)
                    last_head_check = 0.0
                    continue
                batch = await ahead.popleft()
                # Before every batch: is this still the broker we published to? Checking
                # first also means nothing is sent to a broker that is down, so nothing
                # queued can land on it later, when it is back empty.
                checked = await self._check_broker(position)
                if checked != position:
                    position = checked
                    _cancel_all(ahead)
                    scheduled = position.position
                    continue
                if batch.after != position.position:  # never: ranges follow each other
                    msg = f"prepared batch starts at {batch.after}, not at {position.position}"
                    raise RuntimeError(msg)
                started = time.perf_counter()
                await self._publish(batch.messages)
                position = RelayPosition(batch.upto, position.published + len(batch.messages))
                await self.positions.save(position)
                self.metrics.published.inc(len(batch.messages))
                self.metrics.observe_head(max(batch.upto, self.metrics.head))
                self.metrics.observe_published(position.position)
                self.metrics.batch_seconds.observe(time.perf_counter() - started)
        finally:
            _cancel_all(ahead)

    async def _publish(self, messages: Sequence[WireMessage]) -> None:
        """Send the messages in one producer batch per partition (appended in order), then
        wait for all of them: aiokafka's send() cost ten times as much per message."""
        producer = self._producer
        assert producer is not None
        partitions: dict[str, list[int]] = {}
        builders: dict[tuple[str, int], Any] = {}
        futures: list[Awaitable[Any]] = []
        try:
            for topic, key, value, headers in messages:
                topic_partitions = partitions.get(topic)
                if topic_partitions is None:
                    topic_partitions = sorted(await producer.partitions_for(topic))
                    partitions[topic] = topic_partitions
                target = (topic, self._partitions.partition(key, topic_partitions))
                builder = builders.get(target)
                if builder is None:
                    builder = builders[target] = producer.create_batch()
                appended = builder.append(key=key, value=value, timestamp=None, headers=headers)
                if appended is not None:
                    continue  # appended (None: the batch is full)
                # Full: send it (closed, so it does not linger) and go on in a new one.
                futures.append(await self._send(builder, target))
                builder = builders[target] = producer.create_batch()
                if builder.append(key=key, value=value, timestamp=None, headers=headers) is None:
                    msg = f"a message of {len(value)} bytes does not fit in a producer batch"
                    raise ValueError(msg)
            for target, builder in builders.items():
                futures.append(await self._send(builder, target))
        finally:
            # Wait for every message sent to settle, failed or not, before anything is sent
            # again: a resend must never overtake a message still queued from this batch.
            outcomes = await asyncio.gather(*futures, return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome

    async def _send(self, builder: Any, target: tuple[str, int]) -> Awaitable[Any]:
        assert self._producer is not None
        builder.close()  # complete: send it now rather than after linger_ms
        future: Awaitable[Any] = await self._producer.send_batch(
            builder, target[0], partition=target[1]
        )
        return future


def _cancel_all(futures: deque[asyncio.Future[PreparedBatch]]) -> None:
    """Drop batches prepared ahead (a worker already running one just finishes it)."""
    while futures:
        future = futures.popleft()
        if not future.cancel() and not future.cancelled():
            future.exception()  # retrieved: a failed batch that was never needed is no news
