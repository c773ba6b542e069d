"""Wiring of the `ai-analysis` kind (its handler, opened in the worker's loop) and of the
agent that turns VerificationRequested events into its jobs."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import faust
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from infra.bootstrap import NotConfigured, build_bus, build_event_store
from infra.evidence_store import EvidenceStore, ensure_evidence_schema
from infra.models.scoring import ImageScorer
from infra.settings import Settings
from streams.ai_analysis.analysis_requests import analysis_job_for
from streams.ai_analysis.assessor import AIAssessor
from streams.ai_analysis.evidence_assessment import korean_ocr_enabled
from streams.jobs.job_queue import JobQueue
from streams.jobs.job_topics import AI_ANALYSIS, job_topic
from streams.jobs.registry import HandlerOpener, JobHandler
from streams.topics import topic_for_aggregate

BATCH = 500
BATCH_WINDOW_S = 0.05


def analysis_opener(settings: Settings) -> HandlerOpener:
    """The `ai-analysis` handler: evidence from this database, a command bus of its own
    (a worker is a command process too), the image models loaded once."""

    @contextlib.asynccontextmanager
    async def open_assessor() -> AsyncIterator[JobHandler]:
        if not settings.database_url:
            raise NotConfigured("VERACHAIN_DATABASE_URL is not set")
        scorer = await asyncio.to_thread(ImageScorer.load)  # hash and signature checked
        korean = await asyncio.to_thread(korean_ocr_enabled, settings.ocr_korean)
        # Few connections: one assessment at a time per agent, and a worker runs many agents.
        store = build_event_store(replace(settings, db_pool_size=2))
        pool: AsyncConnectionPool[AsyncConnection[Any]] = AsyncConnectionPool(
            settings.database_url, min_size=1, max_size=1, open=False
        )
        await pool.open(wait=True)
        try:
            await ensure_evidence_schema(pool)  # a worker may start before any API
            async with build_bus(settings, store) as bus:
                yield AIAssessor(store, EvidenceStore(pool), bus, scorer, korean=korean)
        finally:
            await pool.close()
            store.close()

    return open_assessor


def install_analysis_requester(app: faust.App, settings: Settings) -> None:
    """Subscribe to the product topic beside the projector (Faust commits an offset once
    every agent of the topic is done with it): each VerificationRequested enqueues a job,
    acknowledged by the broker before the event's offset can be committed."""
    # Verifications travel on the product topic (domain/catalog.py).
    events = app.topic(topic_for_aggregate("Verification"), value_type=bytes, key_type=bytes)

    async def request_analyses(stream: Any) -> AsyncIterator[None]:
        async with JobQueue(settings) as queue:
            async for values in stream.take(BATCH, within=BATCH_WINDOW_S):
                jobs = [job for job in map(analysis_job_for, values) if job is not None]
                if jobs:
                    await queue.send_many(job_topic(AI_ANALYSIS), jobs)
                yield None

    app.agent(events, name="ai_analysis.requester", concurrency=1)(request_analyses)
