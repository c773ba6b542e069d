"""`verachain reports run --auction ID | --day YYYY-MM-DD` and `verachain reports list`."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import click
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool
from rich.console import Console
from rich.table import Table

from infra.bootstrap import NotConfigured, build_event_store
from infra.report_index import IndexedReport, ReportIndex, ensure_report_schema
from infra.settings import Settings
from streams.jobs.job_queue import JobQueue
from streams.jobs.job_topics import REPORT
from streams.reports.day_history import settle_delay_s
from streams.reports.report_builder import build_report
from streams.reports.requests import (
    AUCTION,
    DAILY,
    REPORT_KINDS,
    AuctionReportRequest,
    ReportRejected,
    ReportRequest,
    parse_request,
)


class ReportsInputError(click.ClickException):
    """One line on stderr, exit code 2 (CONTRACT: bad usage or input)."""

    exit_code = 2


@click.group()
def reports() -> None:
    """Per-auction and daily reports: CSV and JSON files in the data directory."""


@reports.command("run")
@click.option("--auction", "auction_id", metavar="ID", help="An ended auction's id.")
@click.option("--day", metavar="YYYY-MM-DD", help="A UTC day that is over.")
def reports_run(auction_id: str | None, day: str | None) -> None:
    """Enqueue a report job; a worker writes the report. A report made before is kept as
    it is (a job per report id), so running this twice is harmless."""
    if (auction_id is None) == (day is None):
        raise ReportsInputError("give exactly one of --auction ID or --day YYYY-MM-DD")
    payload = (
        {"report": AUCTION, "auction_id": auction_id}
        if day is None
        else {
            "report": DAILY,
            "day": day,
        }
    )
    settings = Settings.from_env()
    try:
        request = parse_request(payload)
        existing = asyncio.run(_enqueue(settings, request))
    except ReportRejected as e:
        raise ReportsInputError(str(e)) from e
    console = Console()
    console.print(f"enqueued report job {request.report_id}")
    if existing is not None:
        console.print(f"the report exists (written {existing.created_at}): the job keeps it")


@reports.command("list")
@click.option("--kind", type=click.Choice(REPORT_KINDS), help="Only reports of this kind.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 1000))
def reports_list(kind: str | None, limit: int) -> None:
    """The newest reports of the index, with their files' sizes."""
    settings = Settings.from_env()
    found = asyncio.run(_newest(settings, kind, limit))
    table = Table(title="VeraChain reports")
    for column in ("id", "subject", "rows", "as of position", "csv", "json", "written"):
        table.add_column(column, justify="right" if column in ("rows", "csv", "json") else "left")
    for report in found:
        table.add_row(
            report.id,
            report.subject,
            str(report.row_count),
            str(report.as_of_position),
            f"{report.csv.size} B",
            f"{report.json.size} B",
            str(report.created_at),
        )
    Console().print(table)


@contextlib.asynccontextmanager
async def _index(settings: Settings) -> AsyncIterator[ReportIndex]:
    if not settings.database_url:
        raise NotConfigured("VERACHAIN_DATABASE_URL is not set (or run `verachain dev`)")
    pool: AsyncConnectionPool[AsyncConnection[Any]] = AsyncConnectionPool(
        settings.database_url, min_size=1, max_size=1, open=False
    )
    await pool.open(wait=True)
    try:
        await ensure_report_schema(pool)
        yield ReportIndex(pool)
    finally:
        await pool.close()


async def _enqueue(settings: Settings, request: ReportRequest) -> IndexedReport | None:
    """Refuse what the worker would refuse (nothing is enqueued then), enqueue the job,
    and return the report if it exists already."""
    if isinstance(request, AuctionReportRequest):
        # The worker's own check: an unknown or still open auction is ReportRejected.
        store = build_event_store(settings)
        try:
            await asyncio.to_thread(build_report, store, request, None)
        finally:
            store.close()
    else:
        settle_delay_s(request, datetime.now(UTC))  # DayNotOver before the day ended
    async with _index(settings) as index:
        existing = await index.get(request.report_id)
    async with JobQueue(settings) as queue:
        await queue.enqueue(REPORT, request.payload(), job_id=request.report_id)
    return existing


async def _newest(settings: Settings, kind: str | None, limit: int) -> list[IndexedReport]:
    async with _index(settings) as index:
        return await index.newest(limit, kind)
