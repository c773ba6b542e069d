"""An agent that turns some events of an aggregate's topic into jobs of one kind.

It subscribes beside the app's other agents of the topic (Faust commits an offset once
every agent of the topic is done with it), and sends each batch's jobs to the kind's topic
and waits for the broker's acks before taking the next batch, so an event's offset is
committed only after its job is safely enqueued. Jobs get ids derived from their events:
a replayed or redelivered event enqueues the same job again, which its handler dedupes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import faust

from infra.settings import Settings
from streams.jobs.job import Job
from streams.jobs.job_queue import JobQueue
from streams.jobs.job_topics import job_topic
from streams.topics import topic_for_aggregate

BATCH = 500
BATCH_WINDOW_S = 0.05


def install_job_requester(
    app: faust.App,
    settings: Settings,
    *,
    aggregate: str,
    kind: str,
    name: str,
    job_for: Callable[[bytes], Job | None],
) -> None:
    """Add agent `name`: every message of `aggregate`'s topic for which `job_for` gives a
    job enqueues it on `kind`'s topic (`job_for` must be cheap: it sees every event)."""
    events = app.topic(topic_for_aggregate(aggregate), value_type=bytes, key_type=bytes)

    async def request_jobs(stream: Any) -> AsyncIterator[None]:
        async with JobQueue(settings) as queue:
            async for values in stream.take(BATCH, within=BATCH_WINDOW_S):
                jobs = [job for job in map(job_for, values) if job is not None]
                if jobs:
                    await queue.send_many(job_topic(kind), jobs)
                yield None

    app.agent(events, name=name, concurrency=1)(request_jobs)
