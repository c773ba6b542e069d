"""The Faust agents that run jobs: per kind, one on its topic and one on its retry topic.

concurrency=1 (FINDINGS.md): one actor per agent and worker, so a partition's jobs run one
at a time in order; more throughput comes from more partitions and workers. The retry agent
sleeps until each job is due; its topic holds only retries, so first attempts never wait
behind a backoff (a retry due soon may wait behind one due later on the same partition, at
most the backoff cap)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import faust

from infra.settings import Settings
from streams.jobs.job import MalformedJob, decode_job, new_job
from streams.jobs.job_metrics import DEAD, JobMetrics
from streams.jobs.job_queue import JobQueue
from streams.jobs.job_topics import dead_topic, job_topic, retry_topic
from streams.jobs.registry import HandlerOpener, JobRegistry
from streams.jobs.retry_policy import RetryPolicy
from streams.jobs.runner import JobRunner

log = logging.getLogger(__name__)


def install_job_agents(
    app: faust.App,
    settings: Settings,
    registry: JobRegistry,
    metrics: JobMetrics | None = None,
) -> None:
    """Add the agents of every registered kind to a Faust app (no I/O until it starts);
    with `metrics`, they count and time every job there."""
    policy = RetryPolicy.from_settings(settings)
    for kind in registry.kinds():
        for delayed in (False, True):
            opener = registry.opener(kind)
            _install(app, settings, kind, opener, policy, metrics=metrics, delayed=delayed)


def _install(
    app: faust.App,
    settings: Settings,
    kind: str,
    opener: HandlerOpener,
    policy: RetryPolicy,
    *,
    metrics: JobMetrics | None,
    delayed: bool,
) -> None:
    topic = app.topic(
        retry_topic(kind) if delayed else job_topic(kind), value_type=bytes, key_type=bytes
    )

    async def run_jobs(stream: Any) -> AsyncIterator[None]:
        async with opener() as handler, JobQueue(settings) as queue:
            runner = JobRunner(handler, policy, queue, metrics=metrics)
            # The offset of a job is committed only after the next one is taken (Faust acks
            # on iteration), i.e. after run() returned: its retry or dead letter is already
            # acknowledged by the broker by then.
            async for value in stream:
                try:
                    job = decode_job(value)
                except MalformedJob as e:
                    await _bury_malformed(queue, kind, value, e)
                    if metrics is not None:
                        metrics.ran(kind, DEAD, None)
                    yield None
                    continue
                if delayed:
                    await runner.wait_until_due(job)
                    runner.retry_starting(job, _published_at(stream))
                await runner.run(job)
                yield None

    name = f"jobs.{kind}.{'retry' if delayed else 'run'}"
    app.agent(topic, name=name, concurrency=1)(run_jobs)


async def _bury_malformed(queue: JobQueue, kind: str, value: Any, error: MalformedJob) -> None:
    """A message that is no job cannot succeed on retry: straight to dead letters, as a
    job wrapping the raw text so `jobs status` counts it and an operator can read it."""
    raw = value.decode("utf-8", "replace") if isinstance(value, bytes) else repr(value)
    log.warning("malformed %s job message dead-lettered: %s", kind, error)
    await queue.send(dead_topic(kind), new_job(kind, {"malformed": raw}).dead(str(error)))


def _published_at(stream: Any) -> float | None:
    """The current record's timestamp (epoch seconds: when its producer sent it)."""
    event = getattr(stream, "current_event", None)
    message = getattr(event, "message", None)
    timestamp = getattr(message, "timestamp", None)
    return float(timestamp) if timestamp else None
