"""What `verachain jobs` reads and does: queue depths from consumer-group offsets, and
re-queueing dead letters."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition

from infra.bootstrap import NotConfigured
from infra.settings import Settings
from streams.consumer_groups import job_group
from streams.jobs.job import decode_job
from streams.jobs.job_queue import JobQueue
from streams.jobs.job_topics import dead_topic, job_topic, retry_topic

# Where `jobs retry-dead` records how far it re-queued each kind's dead letters: those
# before its committed offset have been sent back, those after are waiting.
REQUEUE_GROUP = "verachain-jobs-requeue"


class JobTopicsMissing(LookupError):
    """A kind's topics do not exist on the broker."""


@dataclass(frozen=True, slots=True)
class KindStatus:
    kind: str
    depth: int  # jobs not yet taken by the workers' group
    retries_waiting: int  # retries not yet taken (each may be sleeping until due)
    dead_waiting: int  # dead letters not re-queued yet
    dead_total: int  # every dead letter the topic holds


@contextlib.asynccontextmanager
async def _consumer(settings: Settings, group: str) -> AsyncIterator[AIOKafkaConsumer]:
    if not settings.kafka_bootstrap:
        raise NotConfigured("VERACHAIN_KAFKA_BOOTSTRAP is not set (or run `verachain dev`)")
    # Never subscribes, so it never joins (or disturbs) the group; it only reads offsets.
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        await consumer.topics()  # loads the cluster metadata
        yield consumer
    finally:
        await consumer.stop()


def _partitions(consumer: AIOKafkaConsumer, topic: str) -> list[TopicPartition]:
    found = consumer.partitions_for_topic(topic)
    if not found:
        raise JobTopicsMissing(f"topic {topic} does not exist (run `verachain topics create`)")
    return [TopicPartition(topic, p) for p in sorted(found)]


async def _unconsumed(consumer: AIOKafkaConsumer, topic: str) -> tuple[int, int]:
    """(messages after the group's committed offsets, messages in the topic)."""
    partitions = _partitions(consumer, topic)
    ends = await consumer.end_offsets(partitions)
    starts = await consumer.beginning_offsets(partitions)
    waiting = total = 0
    for tp in partitions:
        committed = await consumer.committed(tp)
        waiting += ends[tp] - (starts[tp] if committed is None else committed)
        total += ends[tp] - starts[tp]
    return waiting, total


async def job_status(settings: Settings, kinds: list[str]) -> list[KindStatus]:
    rows = []
    async with _consumer(settings, REQUEUE_GROUP) as requeue:
        for kind in kinds:
            # Each kind's depth as its own consumers see it (worker or reactor group).
            async with _consumer(settings, job_group(settings, kind)) as runners:
                depth, _ = await _unconsumed(runners, job_topic(kind))
                retries, _ = await _unconsumed(runners, retry_topic(kind))
            dead_waiting, dead_total = await _unconsumed(requeue, dead_topic(kind))
            rows.append(KindStatus(kind, depth, retries, dead_waiting, dead_total))
    return rows


async def requeue_dead(settings: Settings, kind: str) -> int:
    """Send every dead letter of `kind` not re-queued before back to the job topic as a
    first attempt; return how many. The offset is committed after the broker acknowledged
    them all: a run that dies half-way re-queues some jobs twice on the next run, which
    is harmless since handlers are idempotent per job id."""
    async with _consumer(settings, REQUEUE_GROUP) as consumer, JobQueue(settings) as queue:
        partitions = _partitions(consumer, dead_topic(kind))
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        count = 0
        for tp in partitions:
            committed = await consumer.committed(tp)
            if committed is None:
                await consumer.seek_to_beginning(tp)
            else:
                consumer.seek(tp, committed)
            jobs = []
            while await consumer.position(tp) < ends[tp]:
                batch = await consumer.getmany(tp, timeout_ms=1000)
                jobs += [
                    decode_job(r.value).requeued() for r in batch.get(tp, []) if r.offset < ends[tp]
                ]
            await queue.send_many(job_topic(kind), jobs)
            await consumer.commit({tp: ends[tp]})
            count += len(jobs)
        return count
