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
from streams.jobs.job_queue import JobQueue
from streams.jobs.job_topics import REPORT, job_topic
from streams.jobs.registry import HandlerOpener, JobHandler
from streams.reports.report_job import ReportJob
from streams.reports.requests import auction_report_job_for
from streams.topics import topic_for_aggregate

BATCH = 500
BATCH_WINDOW_S = 0.05


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
    """Subscribe to the auction topic beside the projector (Faust commits an offset once
    every agent of the topic is done with it): each AuctionClosed enqueues its auction's
    report job, acknowledged by the broker before the event's offset can be committed.
    Cheap per event (bids are skipped without parsing), since every agent on the topic
    paces the projection."""
    events = app.topic(topic_for_aggregate("Auction"), value_type=bytes, key_type=bytes)

    async def request_reports(stream: Any) -> AsyncIterator[None]:
        async with JobQueue(settings) as queue:
            async for values in stream.take(BATCH, within=BATCH_WINDOW_S):
                jobs = [job for job in map(auction_report_job_for, values) if job is not None]
                if jobs:
                    await queue.send_many(job_topic(REPORT), jobs)
                yield None

    app.agent(events, name="reports.requester", concurrency=1)(request_reports)
