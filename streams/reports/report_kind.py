"""Wiring of the `report` kind (its handler, opened in the worker's loop) and of the agent
that asks for an auction's report when the auction closes."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import faust
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from infra.bootstrap import NotConfigured, build_event_store
from infra.report_index import ensure_report_schema
from infra.settings import Settings
from streams.jobs.event_requester import install_job_requester
from streams.jobs.job_topics import REPORT
from streams.jobs.registry import HandlerOpener, JobHandler
from streams.reports.report_job import ReportJob
from streams.reports.requests import auction_report_job_for


def report_opener(settings: Settings) -> HandlerOpener:
    """The `report` handler: the event store (reports are built from it) and the index."""

    @contextlib.asynccontextmanager
    async def open_reports() -> AsyncIterator[JobHandler]:
        if not settings.database_url:
            raise NotConfigured("VERACHAIN_DATABASE_URL is not set")
        # Few connections: one report at a time per agent, and a worker runs many agents.
        store = build_event_store(replace(settings, db_pool_size=2))
        pool: AsyncConnectionPool[AsyncConnection[Any]] = AsyncConnectionPool(
            settings.database_url, min_size=1, max_size=1, open=False
        )
        try:
            await pool.open(wait=True)
            await ensure_report_schema(pool)
            yield ReportJob(store, pool, settings.data_dir)
        finally:
            await pool.close()
            store.close()

    return open_reports


def install_report_requester(app: faust.App, settings: Settings) -> None:
    """Each AuctionClosed enqueues its auction's report job (bids are skipped without
    parsing: every agent on the auction topic paces the projection)."""
    install_job_requester(
        app,
        settings,
        aggregate="Auction",
        kind=REPORT,
        name="reports.requester",
        job_for=auction_report_job_for,
    )
