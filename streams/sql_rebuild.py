"""Rebuilding the SQL read model beside the live one and swapping it in.

The rebuild fills a fresh schema (`read_model_next`) with COPY, then, in one transaction
that holds the live tables in EXCLUSIVE mode, renames it to `read_model`. Schema and table
names come from projections.sql_schema only, and are quoted as identifiers."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from psycopg import Connection, sql

from projections.fold import ReadModelFold
from projections.read_rows import Projected
from projections.sql_schema import LIVE_SCHEMA, TABLE_BY_NAME, TABLES, Table, create_statements

NEXT_SCHEMA = f"{LIVE_SCHEMA}_next"
OLD_SCHEMA = f"{LIVE_SCHEMA}_old"

Conn = Connection[Any]


def _name(schema: str, table: Table) -> sql.Composed:
    return sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(table.name))


def _columns(table: Table) -> sql.Composable:
    return sql.SQL(", ").join(map(sql.Identifier, table.column_names))


def drop_schema(conn: Conn, schema: str) -> None:
    conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def fill_next_schema(conn: Conn, fold: ReadModelFold) -> int:
    """Create `read_model_next` afresh (a leftover of a crashed rebuild is dropped), COPY
    every row of the fold into it, then index and analyze it; commit. Returns the rows."""
    statements = create_statements(NEXT_SCHEMA)
    # Indexes are built once, after the COPY: maintaining them row by row is slower.
    indexes = [s for s in statements if s.startswith("CREATE INDEX")]
    with conn.transaction():
        drop_schema(conn, NEXT_SCHEMA)
        drop_schema(conn, OLD_SCHEMA)
        for statement in statements:
            if statement not in indexes:
                conn.execute(statement.encode())
    written = 0
    for table in TABLES:
        copy_rows = sql.SQL("COPY {} ({}) FROM STDIN").format(
            _name(NEXT_SCHEMA, table), _columns(table)
        )
        with conn.transaction(), conn.cursor() as cursor, cursor.copy(copy_rows) as copy:
            for row in fold.rows(table.name).values():
                copy.write_row([row[column] for column in table.column_names])
                written += 1
    with conn.transaction():
        for statement in indexes:
            conn.execute(statement.encode())
        for table in TABLES:
            conn.execute(sql.SQL("ANALYZE {}").format(_name(NEXT_SCHEMA, table)))
    return written


def write_changes(conn: Conn, fold: ReadModelFold, changes: Iterable[Projected]) -> None:
    """Bring `read_model_next` to the fold after catching up: the latest row of every
    aggregate that changed (upserted), and every child row the changes added or changed."""
    latest: dict[tuple[str, str], None] = {}
    children: dict[str, list[Sequence[Any]]] = {}
    changed_children: dict[tuple[str, str], None] = {}
    for change in changes:
        latest[(change.table, str(change.row["id"]))] = None
        for child_table, child in change.children:
            names = TABLE_BY_NAME[child_table].column_names
            children.setdefault(child_table, []).append([child[c] for c in names])
        for update in change.child_updates:
            changed_children[(update.table, update.row_id)] = None
    by_table: dict[str, list[Sequence[Any]]] = {}
    for table_name, row_id in latest:
        row = fold.row(table_name, row_id)
        if row is not None:
            names = TABLE_BY_NAME[table_name].column_names
            by_table.setdefault(table_name, []).append([row[c] for c in names])
    with conn.cursor() as cursor:
        for table_name, values in by_table.items():
            cursor.executemany(_upsert(TABLE_BY_NAME[table_name]), values)
        for table_name, values in children.items():
            cursor.executemany(_insert_new(TABLE_BY_NAME[table_name]), values)
        # Child rows changed since they were added (flagged bids): their whole row as the
        # fold holds it now, after the additions.
        for table_name, row_id in changed_children:
            table = TABLE_BY_NAME[table_name]
            changed = fold.row(table_name, row_id)
            if changed is not None:
                cursor.execute(_upsert(table), [changed[c] for c in table.column_names])


def live_tables(conn: Conn) -> list[Table]:
    """The read model's tables that exist in the live schema (none on the first build)."""
    present = []
    for table in TABLES:
        found = conn.execute(
            "SELECT to_regclass(%s)", (f'"{LIVE_SCHEMA}"."{table.name}"',)
        ).fetchone()
        if found is not None and found[0] is not None:
            present.append(table)
    return present


def lock_live_tables(conn: Conn, tables: Sequence[Table]) -> None:
    """EXCLUSIVE mode: queries go on reading the live tables, the live projection's writes
    (and its Redis updates, made inside its SQL transaction) wait until the swap commits.
    One statement, in TABLES order, the order in which the projection touches them."""
    if tables:
        conn.execute(
            sql.SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(
                sql.SQL(", ").join(_name(LIVE_SCHEMA, table) for table in tables)
            )
        )


def swap_in_next_schema(conn: Conn) -> None:
    """Inside the caller's transaction: the live schema (if any) becomes `read_model_old`,
    `read_model_next` becomes the live one. Statements waiting for the locked tables find
    the new tables by name when they resume (PostgreSQL looks the name up again after a
    lock wait). The old schema is dropped after the commit (drop_schema(OLD_SCHEMA)), so
    the swap does not wait for long-running readers of the old tables."""
    exists = conn.execute(
        "SELECT 1 FROM pg_namespace WHERE nspname = %s", (LIVE_SCHEMA,)
    ).fetchone()
    if exists is not None:
        conn.execute(
            sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(
                sql.Identifier(LIVE_SCHEMA), sql.Identifier(OLD_SCHEMA)
            )
        )
    conn.execute(
        sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(
            sql.Identifier(NEXT_SCHEMA), sql.Identifier(LIVE_SCHEMA)
        )
    )


def _upsert(table: Table) -> sql.Composed:
    names = table.column_names
    return sql.SQL(
        "INSERT INTO {target} ({columns}) VALUES ({values}) "
        "ON CONFLICT (id) DO UPDATE SET {updates}"
    ).format(
        target=_name(NEXT_SCHEMA, table),
        columns=_columns(table),
        values=sql.SQL(", ").join(sql.Placeholder() * len(names)),
        updates=sql.SQL(", ").join(
            sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(n)) for n in names[1:]
        ),
    )


def _insert_new(table: Table) -> sql.Composed:
    return sql.SQL(
        "INSERT INTO {target} ({columns}) VALUES ({values}) ON CONFLICT (id) DO NOTHING"
    ).format(
        target=_name(NEXT_SCHEMA, table),
        columns=_columns(table),
        values=sql.SQL(", ").join(sql.Placeholder() * len(table.column_names)),
    )
