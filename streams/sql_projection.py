"""The live SQL projection: applies one envelope to the read tables, idempotently.

Each change and its checkpoint (the row's aggregate version and global position) commit
together, in one transaction. A redelivered event is recognised by the version and
skipped; an event that arrives after a gap is preceded by a repair read of the missing
events from the event store. The caller's side effects that must happen exactly with the
change (the Redis update) run inside the transaction, before it commits."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection, sql
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from projections.read_rows import TABLE_BY_AGGREGATE, Envelope, Projected, Row, VersionGap, project
from projections.sql_schema import LIVE_SCHEMA, TABLE_BY_NAME, Table, create_statements

# (aggregate id, after version, up to version) -> the missing envelopes, in version order
RepairRead = Callable[[str, int, int], Awaitable[list[Envelope]]]
# Called inside the transaction with every applied envelope and its row (the Redis update).
AfterApply = Callable[[AsyncConnection[Any], Envelope, Projected], Awaitable[None]]


class Outcome(StrEnum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    REPAIRED = "repaired"


@dataclass(frozen=True)
class Applied:
    outcome: Outcome
    projected: list[tuple[Envelope, Projected]]


class SqlProjection:
    def __init__(
        self,
        pool: AsyncConnectionPool[AsyncConnection[Any]],
        repair_read: RepairRead,
        schema: str = LIVE_SCHEMA,
    ) -> None:
        self.pool = pool
        self.repair_read = repair_read
        self.schema = schema

    async def ensure_schema(self) -> None:
        """Create the read tables if needed. Workers start together: an advisory lock keeps
        their CREATE ... IF NOT EXISTS from racing (which PostgreSQL does not prevent)."""
        async with self.pool.connection() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext('verachain-read-model-ddl'))")
            for statement in create_statements(self.schema):
                await conn.execute(statement.encode())

    async def apply(self, envelope: Envelope, after_apply: AfterApply | None = None) -> Applied:
        table = TABLE_BY_NAME[TABLE_BY_AGGREGATE[envelope["aggregate_type"]]]
        async with self.pool.connection() as conn, conn.transaction():
            # FOR UPDATE: two workers handed the same event during a rebalance serialize
            # here, and the second one sees the first one's version and skips.
            current = await self._current(conn, table, envelope["aggregate_id"])
            try:
                projected = project(envelope, current)
            except VersionGap as gap:
                missing = await self.repair_read(gap.aggregate_id, gap.have, gap.got - 1)
                done: list[tuple[Envelope, Projected]] = []
                for earlier in [*missing, envelope]:
                    step = project(earlier, current)
                    if step is None:
                        continue
                    await self._write(conn, step)
                    if after_apply is not None:
                        await after_apply(conn, earlier, step)
                    done.append((earlier, step))
                    current = step.row
                return Applied(Outcome.REPAIRED, done)
            if projected is None:
                return Applied(Outcome.DUPLICATE, [])
            await self._write(conn, projected)
            if after_apply is not None:
                await after_apply(conn, envelope, projected)
            return Applied(Outcome.APPLIED, [(envelope, projected)])

    async def _current(
        self, conn: AsyncConnection[Any], table: Table, aggregate_id: str
    ) -> Row | None:
        query = sql.SQL("SELECT * FROM {}.{} WHERE id = %s FOR UPDATE").format(
            sql.Identifier(self.schema), sql.Identifier(table.name)
        )
        async with conn.cursor(row_factory=dict_row) as cursor:
            await cursor.execute(query, (aggregate_id,))
            row = await cursor.fetchone()
        return None if row is None else {k: _from_db(v) for k, v in row.items()}

    async def _write(self, conn: AsyncConnection[Any], projected: Projected) -> None:
        await conn.execute(
            self._upsert(TABLE_BY_NAME[projected.table]),
            [projected.row[c] for c in TABLE_BY_NAME[projected.table].column_names],
        )
        for child_table, child in projected.children:
            table = TABLE_BY_NAME[child_table]
            await conn.execute(self._insert_ignore(table), [child[c] for c in table.column_names])

    def _upsert(self, table: Table) -> sql.Composed:
        names = table.column_names
        return sql.SQL(
            "INSERT INTO {schema}.{table} ({columns}) VALUES ({values}) "
            "ON CONFLICT (id) DO UPDATE SET {updates}"
        ).format(
            schema=sql.Identifier(self.schema),
            table=sql.Identifier(table.name),
            columns=sql.SQL(", ").join(map(sql.Identifier, names)),
            values=sql.SQL(", ").join(sql.Placeholder() * len(names)),
            updates=sql.SQL(", ").join(
                sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(n)) for n in names[1:]
            ),
        )

    def _insert_ignore(self, table: Table) -> sql.Composed:
        names = table.column_names
        return sql.SQL(
            "INSERT INTO {schema}.{table} ({columns}) VALUES ({values}) ON CONFLICT (id) DO NOTHING"
        ).format(
            schema=sql.Identifier(self.schema),
            table=sql.Identifier(table.name),
            columns=sql.SQL(", ").join(map(sql.Identifier, names)),
            values=sql.SQL(", ").join(sql.Placeholder() * len(names)),
        )


def _from_db(value: Any) -> Any:
    """Rows travel as the pure projector expects them: ids as strings."""
    return str(value) if isinstance(value, UUID) else value
