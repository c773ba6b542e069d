"""The relay benchmark's ceiling: a bare aiokafka producer sending pre-serialized messages.

Same broker, same producer settings as the relay (acks=all, linger, batch size), messages of
an envelope's size keyed by a thousand aggregate-like ids, with the relay's two headers, sent
the way the relay sends them. No store, no decoding, no encoding: what is left is the broker
and aiokafka."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from infra.kafka_admin import ensure_topics
from streams.relay import producer_options
from streams.relay_prepare import PartitionChooser
from streams.topics import TopicSpec

KEYS = 1000  # distinct keys, like the bench's auctions
PROGRESS_EVERY = 5000


@dataclass(frozen=True, slots=True)
class RawRun:
    messages: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.messages / self.seconds if self.seconds else 0.0


def sample_values(size: int, count: int = 64) -> list[bytes]:
    """`count` distinct JSON documents of `size` bytes (at least ~40)."""
    values: list[bytes] = []
    for i in range(count):
        document = {"type": "BidPlaced", "position": i, "pad": ""}
        bare = len(json.dumps(document, separators=(",", ":")))
        document["pad"] = "x" * max(0, size - bare)
        values.append(json.dumps(document, separators=(",", ":")).encode())
    return values


async def measure_raw_producer(
    bootstrap: str,
    messages: int,
    *,
    partitions: int,
    idempotent: bool,
    value_bytes: int,
    on_progress: Callable[[int], None],
) -> RawRun:
    """Send `messages` messages to a topic of the bench's own and wait for every ack."""
    topic = f"verachain.bench.raw-{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await ensure_topics(admin, [TopicSpec(topic, partitions, "bench key", "relay bench")])
        try:
            return await _send_all(
                bootstrap,
                topic,
                messages,
                idempotent=idempotent,
                value_bytes=value_bytes,
                on_progress=on_progress,
            )
        finally:
            await admin.delete_topics([topic])  # the broker's memory is the relay's next
    finally:
        await admin.close()


async def _send_all(
    bootstrap: str,
    topic: str,
    messages: int,
    *,
    idempotent: bool,
    value_bytes: int,
    on_progress: Callable[[int], None],
) -> RawRun:
    """aiokafka's fastest path, the one the relay uses too: messages appended to one batch
    per partition, each batch sent as soon as it is full; then every acknowledgement."""
    keys = [str(uuid.uuid4()).encode() for _ in range(KEYS)]
    values = sample_values(value_bytes)
    headers = [("event-type", b"BidPlaced"), ("schema-version", b"1")]
    chooser = PartitionChooser()
    producer = AIOKafkaProducer(**producer_options(bootstrap, idempotent=idempotent))
    await producer.start()
    try:
        partitions = sorted(await producer.partitions_for(topic))  # not part of the timing
        builders: dict[int, Any] = {}
        futures: list[Awaitable[Any]] = []

        async def send(partition: int) -> None:
            builder = builders.pop(partition)
            builder.close()
            futures.append(await producer.send_batch(builder, topic, partition=partition))

        started = time.perf_counter()
        for i in range(messages):
            key = keys[i % KEYS]
            partition = chooser.partition(key, partitions)
            value = values[i % len(values)]
            builder = builders.get(partition)
            if builder is None:
                builder = builders[partition] = producer.create_batch()
            if builder.append(key=key, value=value, timestamp=None, headers=headers) is None:
                await send(partition)
                builder = builders[partition] = producer.create_batch()
                builder.append(key=key, value=value, timestamp=None, headers=headers)
            if i % PROGRESS_EVERY == 0:
                on_progress(i)
        for partition in list(builders):
            await send(partition)
        await asyncio.gather(*futures)
        seconds = time.perf_counter() - started
        on_progress(messages)
        return RawRun(messages, seconds)
    finally:
        await producer.stop()
