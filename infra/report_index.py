"""The report index: one row per report written (`verachain_reports`), what the API lists
and serves, and what tells a re-run of a report job that its report exists already.

The row says which store position the report covers (`as_of_position`): a job that finds
its row but not its files rebuilds exactly that history, hence the same bytes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

Pool = AsyncConnectionPool[AsyncConnection[Any]]

DDL = """
CREATE TABLE IF NOT EXISTS verachain_reports (
    id text PRIMARY KEY,
    kind text NOT NULL,
    subject text NOT NULL,
    as_of_position bigint NOT NULL,
    row_count integer NOT NULL,
    csv_path text NOT NULL,
    csv_bytes bigint NOT NULL,
    csv_sha256 text NOT NULL,
    json_path text NOT NULL,
    json_bytes bigint NOT NULL,
    json_sha256 text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
-- reports(kind, first, after): newest first, the cursor on (created_at, id)
CREATE INDEX IF NOT EXISTS verachain_reports_newest ON verachain_reports (created_at, id);
CREATE INDEX IF NOT EXISTS verachain_reports_kind ON verachain_reports (kind, created_at, id)
"""
_COLUMNS = (
    "id, kind, subject, as_of_position, row_count, csv_path, csv_bytes, csv_sha256, "
    "json_path, json_bytes, json_sha256, created_at"
)


@dataclass(frozen=True, slots=True)
class ReportFile:
    format: str
    path: str  # relative to the data directory
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class IndexedReport:
    id: str
    kind: str
    subject: str
    as_of_position: int
    row_count: int
    csv: ReportFile
    json: ReportFile
    created_at: datetime | None = None  # set by the database

    def file(self, fmt: str) -> ReportFile:
        return self.csv if fmt == "csv" else self.json

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> IndexedReport:
        csv, json = (
            ReportFile(fmt, row[f"{fmt}_path"], int(row[f"{fmt}_bytes"]), row[f"{fmt}_sha256"])
            for fmt in ("csv", "json")
        )
        return cls(
            id=row["id"],
            kind=row["kind"],
            subject=row["subject"],
            as_of_position=int(row["as_of_position"]),
            row_count=int(row["row_count"]),
            csv=csv,
            json=json,
            created_at=row["created_at"],
        )


async def ensure_report_schema(pool: Pool) -> None:
    async with pool.connection() as conn, conn.transaction():
        # Workers and API processes starting together would race on CREATE TABLE.
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('verachain_reports_schema'))")
        await conn.execute(DDL)


async def lock_report(conn: AsyncConnection[Any], report_id: str) -> None:
    """Held until the transaction ends: two copies of one job (a redelivery racing its
    retry, two workers during a rebalance) take turns, and the second finds the first's row."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtext('verachain-report:' || %s))", (report_id,)
    )


async def find_report(conn: AsyncConnection[Any], report_id: str) -> IndexedReport | None:
    async with conn.cursor(row_factory=dict_row) as cursor:
        await cursor.execute(
            f"SELECT {_COLUMNS} FROM verachain_reports WHERE id = %s",  # noqa: S608 - constant
            (report_id,),
        )
        row = await cursor.fetchone()
    return None if row is None else IndexedReport.from_row(row)


async def save_report(conn: AsyncConnection[Any], report: IndexedReport) -> None:
    """Insert the row, or (files rewritten) update what describes them; created_at stays."""
    await conn.execute(
        "INSERT INTO verachain_reports (id, kind, subject, as_of_position, row_count, "
        "csv_path, csv_bytes, csv_sha256, json_path, json_bytes, json_sha256) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
        "ON CONFLICT (id) DO UPDATE SET row_count = excluded.row_count, "
        "csv_path = excluded.csv_path, csv_bytes = excluded.csv_bytes, "
        "csv_sha256 = excluded.csv_sha256, json_path = excluded.json_path, "
        "json_bytes = excluded.json_bytes, json_sha256 = excluded.json_sha256, "
        "updated_at = now()",
        (
            report.id,
            report.kind,
            report.subject,
            report.as_of_position,
            report.row_count,
            report.csv.path,
            report.csv.size,
            report.csv.sha256,
            report.json.path,
            report.json.size,
            report.json.sha256,
        ),
    )


class ReportIndex:
    """Reads of the index for the API and the CLI."""

    def __init__(self, pool: Pool) -> None:
        self.pool = pool

    async def get(self, report_id: str) -> IndexedReport | None:
        async with self.pool.connection() as conn:
            return await find_report(conn, report_id)

    async def newest(
        self, limit: int, kind: str | None = None, before: tuple[datetime, str] | None = None
    ) -> list[IndexedReport]:
        """Up to `limit` reports, newest first, older than the `before` cursor if given."""
        clauses: list[str] = []
        params: list[object] = []
        if kind is not None:
            clauses.append("kind = %s")
            params.append(kind)
        if before is not None:
            clauses.append("(created_at, id) < (%s, %s)")
            params.extend(before)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        query = (
            f"SELECT {_COLUMNS} FROM verachain_reports {where} "  # noqa: S608 - constants
            "ORDER BY created_at DESC, id DESC LIMIT %s"
        )
        async with self.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cursor:
            await cursor.execute(query.encode(), (*params, limit))
            return [IndexedReport.from_row(row) for row in await cursor.fetchall()]
