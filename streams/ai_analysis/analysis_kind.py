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
from streams.jobs.event_requester import install_job_requester
from streams.jobs.job_topics import AI_ANALYSIS
from streams.jobs.registry import HandlerOpener, JobHandler


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
    """Each VerificationRequested (on the product topic: domain/catalog.py) enqueues its
    ai-analysis job."""
    install_job_requester(
        app,
        settings,
        aggregate="Verification",
        kind=AI_ANALYSIS,
        name="ai_analysis.requester",
        job_for=analysis_job_for,
    )
