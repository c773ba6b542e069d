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
from functools import partial
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection, AsyncCursor, sql
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from projections.read_rows import (
    TABLE_BY_AGGREGATE,
    ChildUpdate,
    Envelope,
    Projected,
    Row,
    VersionGap,
    project,
)
from projections.sql_schema import LIVE_SCHEMA, TABLE_BY_NAME, Table, create_statements
from streams.dead_letters import DDL as DEAD_LETTERS_DDL

# (aggregate id, after version, up to version) -> the missing envelopes, in version order
RepairRead = Callable[[str, int, int], Awaitable[list[Envelope]]]
# Called inside the transaction with every applied envelope and its row (the Redis update).
AfterApply = Callable[[AsyncConnection[Any], Envelope, Projected], Awaitable[None]]


class Outcome(StrEnum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    REPAIRED = "repaired"


@dataclass(frozen=True)
class BatchApplied:
    applied: int
    duplicates: int
    repaired: int


# Called inside the batch's transaction with every applied (envelope, projection), in order.
AfterBatch = Callable[[AsyncConnection[Any], list[tuple[Envelope, Projected]]], Awaitable[None]]


@dataclass(frozen=True)
class Applied:
    outcome: Outcome
    projected: list[tuple[Envelope, Projected]]


async def ensure_read_model_schema(
    pool: AsyncConnectionPool[AsyncConnection[Any]], schema: str = LIVE_SCHEMA
) -> None:
    """Create the read tables if needed. Workers and API processes start together: an
    advisory lock keeps their CREATE ... IF NOT EXISTS from racing (which PostgreSQL does
    not prevent)."""
    async with pool.connection() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('verachain-read-model-ddl'))")
        for statement in create_statements(schema):
            await conn.execute(statement.encode())
        await conn.execute(DEAD_LETTERS_DDL.encode())  # the API's minPosition reads it


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
        self._statements: dict[tuple[Any, ...], bytes] = {}

    async def ensure_schema(self) -> None:
        await ensure_read_model_schema(self.pool, self.schema)

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

    async def apply_batch(
        self, envelopes: list[Envelope], after_batch: AfterBatch | None = None
    ) -> BatchApplied:
        """Apply many envelopes (in order) in one transaction: rows read once, folded in
        memory, written once. What makes a worker fast: one commit per batch, not per event.

        In pipeline mode, so the transaction costs two round trips to PostgreSQL: BEGIN with
        the locking reads, then the writes with the COMMIT; the writes run in PostgreSQL
        while `after_batch` (the Redis update) runs here."""
        steps: list[tuple[Envelope, Projected]] = []
        duplicates = repaired = 0
        async with self.pool.connection() as conn, conn.pipeline(), conn.transaction():
            rows = await self._current_rows(conn, envelopes)
            for envelope in envelopes:
                aggregate_id = envelope["aggregate_id"]
                try:
                    projected = project(envelope, rows.get(aggregate_id))
                except VersionGap as gap:
                    repaired += 1
                    missing = await self.repair_read(gap.aggregate_id, gap.have, gap.got - 1)
                    for earlier in missing:
                        step = project(earlier, rows.get(aggregate_id))
                        if step is not None:
                            rows[aggregate_id] = step.row
                            steps.append((earlier, step))
                    projected = project(envelope, rows.get(aggregate_id))
                if projected is None:
                    duplicates += 1
                    continue
                rows[aggregate_id] = projected.row
                steps.append((envelope, projected))
            await self._write_many(conn, steps)
            if after_batch is not None and steps:
                await after_batch(conn, steps)
        return BatchApplied(len(steps), duplicates, repaired)

    async def _current_rows(
        self, conn: AsyncConnection[Any], envelopes: list[Envelope]
    ) -> dict[str, Row | None]:
        """Lock and read every row the batch touches: tables in a fixed order, ids sorted,
        so two workers briefly sharing aggregates during a rebalance cannot deadlock."""
        ids: dict[str, set[str]] = {}
        for envelope in envelopes:
            table = TABLE_BY_AGGREGATE[envelope["aggregate_type"]]
            ids.setdefault(table, set()).add(envelope["aggregate_id"])
        rows: dict[str, Row | None] = {}
        cursors = []
        for table in sorted(ids):
            query = self._statement(("lock", table), partial(self._lock_rows, table))
            cursor = conn.cursor(row_factory=dict_row)
            await cursor.execute(query, (sorted(ids[table]),))
            cursors.append(cursor)
        for cursor in cursors:  # sent together; the first fetch waits for all of them
            async with cursor:
                for row in await cursor.fetchall():
                    rows[str(row["id"])] = {k: _from_db(v) for k, v in row.items()}
        return rows

    async def _write_many(
        self, conn: AsyncConnection[Any], steps: list[tuple[Envelope, Projected]]
    ) -> None:
        latest: dict[tuple[str, str], Row] = {}
        children: dict[str, list[Row]] = {}
        for _, projected in steps:
            latest[(projected.table, str(projected.row["id"]))] = projected.row
            for child_table, child in projected.children:
                children.setdefault(child_table, []).append(child)
        by_table: dict[str, list[Row]] = {}
        for (table_name, _), row in latest.items():
            by_table.setdefault(table_name, []).append(row)
        updates = [update for _, projected in steps for update in projected.child_updates]
        async with conn.cursor() as cursor:
            for table_name, table_rows in by_table.items():
                await self._write_rows(cursor, TABLE_BY_NAME[table_name], table_rows, upsert=True)
            for table_name, child_rows in children.items():
                await self._write_rows(cursor, TABLE_BY_NAME[table_name], child_rows, upsert=False)
            # After the additions: a bid placed and flagged in one batch exists by now.
            for update in updates:
                await cursor.execute(self._update_statement(update), self._update_values(update))

    async def _write_rows(
        self, cursor: AsyncCursor[Any], table: Table, rows: list[Row], *, upsert: bool
    ) -> None:
        """Many rows in one statement: each column travels as one typed array and
        unnest() turns them back into rows (an executemany of 500 inserts took ten times
        as long). unnest() flattens arrays of arrays, so a table with an array column
        goes row by row."""
        names = table.column_names
        if len(rows) == 1 or table.has_array_column:
            statement = self._statement(
                ("insert", table.name, upsert),
                lambda: self._upsert(table) if upsert else self._insert_ignore(table),
            )
            await cursor.executemany(statement, [[r[c] for c in names] for r in rows])
            return
        columns = [[_to_db(r[c]) for r in rows] for c in names]
        statement = self._statement(
            ("unnest", table.name, upsert), lambda: self._unnest_write(table, upsert=upsert)
        )
        await cursor.execute(statement, columns)

    def _statement(self, key: tuple[Any, ...], build: Callable[[], sql.Composed]) -> bytes:
        """A statement composed once: composing it per batch was a tenth of the worker's time."""
        statement = self._statements.get(key)
        if statement is None:
            statement = self._statements[key] = build().as_bytes(None)
        return statement

    def _lock_rows(self, table_name: str) -> sql.Composed:
        return sql.SQL("SELECT * FROM {}.{} WHERE id = ANY(%s) ORDER BY id FOR UPDATE").format(
            sql.Identifier(self.schema), sql.Identifier(table_name)
        )

    def _unnest_write(self, table: Table, *, upsert: bool) -> sql.Composed:
        names = table.column_names
        return sql.SQL(
            "INSERT INTO {schema}.{table} ({columns}) SELECT * FROM unnest({arrays}) {conflict}"
        ).format(
            schema=sql.Identifier(self.schema),
            table=sql.Identifier(table.name),
            columns=sql.SQL(", ").join(map(sql.Identifier, names)),
            arrays=sql.SQL(", ").join(
                sql.SQL("%b::{}[]").format(sql.SQL(kind)) for kind in table.value_types
            ),
            conflict=self._conflict(table, upsert=upsert),
        )

    def _conflict(self, table: Table, *, upsert: bool) -> sql.Composable:
        if not upsert:
            return sql.SQL("ON CONFLICT (id) DO NOTHING")
        return sql.SQL("ON CONFLICT (id) DO UPDATE SET {}").format(
            sql.SQL(", ").join(
                sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(n))
                for n in table.column_names[1:]
            )
        )

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
        for update in projected.child_updates:
            await conn.execute(self._update_statement(update), self._update_values(update))

    def _update_statement(self, update: ChildUpdate) -> bytes:
        columns = tuple(update.changes)
        return self._statement(
            ("update", update.table, columns),
            lambda: sql.SQL("UPDATE {}.{} SET {} WHERE id = %s").format(
                sql.Identifier(self.schema),
                sql.Identifier(update.table),
                sql.SQL(", ").join(
                    sql.SQL("{} = %s").format(sql.Identifier(name)) for name in columns
                ),
            ),
        )

    @staticmethod
    def _update_values(update: ChildUpdate) -> list[Any]:
        return [*update.changes.values(), update.row_id]

    def _upsert(self, table: Table) -> sql.Composed:
        return self._insert(table, self._conflict(table, upsert=True))

    def _insert_ignore(self, table: Table) -> sql.Composed:
        return self._insert(table, self._conflict(table, upsert=False))

    def _insert(self, table: Table, conflict: sql.Composable) -> sql.Composed:
        names = table.column_names
        return sql.SQL(
            "INSERT INTO {schema}.{table} ({columns}) VALUES ({values}) {conflict}"
        ).format(
            schema=sql.Identifier(self.schema),
            table=sql.Identifier(table.name),
            columns=sql.SQL(", ").join(map(sql.Identifier, names)),
            values=sql.SQL(", ").join(sql.Placeholder() * len(names)),
            conflict=conflict,
        )


def _from_db(value: Any) -> Any:
    """Rows travel as the pure projector expects them: ids as strings."""
    return str(value) if isinstance(value, UUID) else value


def _to_db(value: Any) -> Any:
    """One array holds one Python type: ids go as text whether a row had them as UUIDs."""
    return str(value) if isinstance(value, UUID) else value
