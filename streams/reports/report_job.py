"""The `report` job handler: build the report, write its two files, index it.

Idempotent per report id (= the job id): under a lock on that id, a job whose index row and
files are there does nothing; one whose row is there but a file is not (or differs) builds
the history the row names again, which gives the same bytes. Files are written before the
row: a crash in between leaves files nobody lists, which the re-run overwrites.

Bad input (a malformed payload, an unknown or still open auction, a day not over) raises a
ReportRejected: the job goes to dead letters at once with that message, nothing written."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from commands.store import EventStore
from infra.report_files import FORMATS, is_intact, relative_path, write_atomically
from infra.report_index import (
    IndexedReport,
    Pool,
    ReportFile,
    find_report,
    lock_report,
    save_report,
)
from streams.jobs.job import Job
from streams.reports.day_history import settle_delay_s
from streams.reports.rendering import RenderedReport, sha256_hex
from streams.reports.report_builder import build_report
from streams.reports.requests import DailyReportRequest, ReportRequest, parse_request

log = logging.getLogger(__name__)


class ReportJob:
    def __init__(
        self,
        store: EventStore,
        pool: Pool,
        data_dir: Path,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.store = store
        self.pool = pool
        self.data_dir = data_dir
        self.clock = clock
        self.sleep = sleep

    async def __call__(self, job: Job) -> None:
        request = parse_request(job.payload)
        if isinstance(request, DailyReportRequest):
            delay = settle_delay_s(request, self.clock())
            if delay > 0:
                await self.sleep(delay)
        await self.make(request)

    async def make(self, request: ReportRequest) -> IndexedReport:
        """The report, written and indexed unless it was already."""
        async with self.pool.connection() as conn, conn.transaction():
            await lock_report(conn, request.report_id)
            existing = await find_report(conn, request.report_id)
            if existing is not None and await asyncio.to_thread(self._intact, existing):
                log.info("report %s exists: nothing to do", request.report_id)
                return existing
            pinned = None if existing is None else existing.as_of_position
            rendered, position = await asyncio.to_thread(build_report, self.store, request, pinned)
            report = _indexed(request, rendered, position)
            await asyncio.to_thread(self._write, report, rendered)
            if existing is not None and (existing.csv, existing.json) != (report.csv, report.json):
                # Same history, other bytes: the report code changed since. Keep the files
                # and the row in agreement; the history they cover is the same.
                log.warning("report %s rebuilt with different content", request.report_id)
            await save_report(conn, report)
            return report

    def _intact(self, report: IndexedReport) -> bool:
        return all(
            is_intact(self.data_dir, report.file(fmt).path, report.file(fmt).sha256)
            for fmt in FORMATS
        )

    def _write(self, report: IndexedReport, rendered: RenderedReport) -> None:
        for fmt, data in rendered.files.items():
            write_atomically(self.data_dir, report.file(fmt).path, data)


def _indexed(request: ReportRequest, rendered: RenderedReport, position: int) -> IndexedReport:
    def describe(fmt: str, data: bytes) -> ReportFile:
        path = relative_path(request.kind, request.report_id, fmt)
        return ReportFile(fmt, path, len(data), sha256_hex(data))

    return IndexedReport(
        id=request.report_id,
        kind=request.kind,
        subject=request.subject,
        as_of_position=position,
        row_count=rendered.row_count,
        csv=describe("csv", rendered.csv),
        json=describe("json", rendered.json),
    )
