"""Enqueueing jobs: an aiokafka producer usable from any process (API, relay, worker, CLI)."""

from __future__ import annotations

from types import TracebackType
from typing import Any

from aiokafka import AIOKafkaProducer

from infra.bootstrap import NotConfigured
from infra.settings import Settings
from streams.jobs.job import Job, new_job
from streams.jobs.job_topics import job_topic


class JobQueue:
    """`async with JobQueue(settings) as jobs: await jobs.enqueue("notification", {...})`."""

    def __init__(self, settings: Settings) -> None:
        if not settings.kafka_bootstrap:
            raise NotConfigured("VERACHAIN_KAFKA_BOOTSTRAP is not set (or run `verachain dev`)")
        self._options: dict[str, Any] = {
            "bootstrap_servers": settings.kafka_bootstrap,
            # acks=all: an enqueue that returned survives a broker failover.
            "acks": "all",
            "enable_idempotence": settings.idempotent_producer,
            "linger_ms": 2,
            "request_timeout_ms": 10_000,
        }
        self._producer: AIOKafkaProducer | None = None

    async def __aenter__(self) -> JobQueue:
        producer = AIOKafkaProducer(**self._options)
        try:
            await producer.start()
        except Exception:
            await producer.stop()
            raise
        self._producer = producer
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def enqueue(
        self, kind: str, payload: dict[str, Any], *, job_id: str | None = None
    ) -> Job:
        """Publish a first attempt and wait for the broker's ack. With a deterministic
        `job_id`, enqueueing the same work twice is harmless (handlers dedupe by id)."""
        job = new_job(kind, payload, job_id=job_id)
        await self.send(job_topic(kind), job)
        return job

    async def send(self, topic: str, job: Job) -> None:
        await self.send_many(topic, [job])

    async def send_many(self, topic: str, jobs: list[Job]) -> None:
        """Publish and wait until the broker acknowledged every one."""
        if self._producer is None:
            raise RuntimeError("JobQueue is not started (use `async with`)")
        futures = [
            await self._producer.send(topic, key=job.key, value=job.encode()) for job in jobs
        ]
        for future in futures:
            await future
