"""The history as analysts see it: every envelope on the event topics, read from the start
to the current end of each partition, deduplicated by position (the relay may publish an
event twice) and put back in store order, as audit leaves."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from aiokafka import AIOKafkaConsumer, TopicPartition

from streams.audit_leaves import LeafBatch, leaf_batch
from streams.history_reader import HISTORY_BATCH
from streams.topics import event_topics


class KafkaHistoryError(Exception):
    """The topics do not hold a usable history (an undecodable or contradictory record)."""


async def kafka_envelopes(bootstrap: str) -> dict[int, dict[str, object]]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [
            TopicPartition(topic, partition)
            for topic in event_topics()
            for partition in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        remaining = {tp for tp in partitions if ends[tp] > 0}
        by_position: dict[int, dict[str, object]] = {}
        while remaining:
            fetched = await consumer.getmany(*remaining, timeout_ms=1000, max_records=10_000)
            for tp, records in fetched.items():
                for record in records:
                    _keep(by_position, record.value, f"{tp.topic}/{tp.partition}@{record.offset}")
                    if record.offset + 1 >= ends[tp]:
                        remaining.discard(tp)
        return by_position
    finally:
        await consumer.stop()


def _keep(by_position: dict[int, dict[str, object]], value: bytes | None, where: str) -> None:
    try:
        envelope = json.loads(value or b"")
        position = int(envelope["position"])
    except (ValueError, KeyError, TypeError) as e:
        raise KafkaHistoryError(f"{where}: not an event envelope ({e})") from e
    seen = by_position.setdefault(position, envelope)
    if seen != envelope:
        raise KafkaHistoryError(f"{where}: two different events at position {position}")


async def kafka_leaf_batches(bootstrap: str) -> AsyncIterator[LeafBatch]:
    envelopes = await kafka_envelopes(bootstrap)
    ordered = [envelopes[position] for position in sorted(envelopes)]
    for start in range(0, len(ordered), HISTORY_BATCH):
        yield leaf_batch(ordered[start : start + HISTORY_BATCH])
