"""The audit log's tables. Leaf i is the i-th event of the store (dense, 0-based) and the
node table holds every complete subtree of the RFC 9162 tree (level 0: the leaf hashes), so
any proof is one indexed read of O(log n) rows and a restart resumes from the nodes of the
tree's right edge, never from a recomputation of the tree."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

DDL = (
    """
CREATE TABLE IF NOT EXISTS verachain_audit_leaves (
    leaf_index bigint PRIMARY KEY,
    position bigint NOT NULL UNIQUE,
    event_id uuid NOT NULL
)""",
    "CREATE INDEX IF NOT EXISTS verachain_audit_leaves_event ON verachain_audit_leaves (event_id)",
    """
CREATE TABLE IF NOT EXISTS verachain_audit_nodes (
    level smallint NOT NULL,
    idx bigint NOT NULL,
    hash bytea NOT NULL,
    PRIMARY KEY (level, idx)
)""",
    """
CREATE TABLE IF NOT EXISTS verachain_audit_checkpoints (
    tree_size bigint PRIMARY KEY,
    root bytea NOT NULL,
    note text NOT NULL,
    signed_at timestamptz NOT NULL DEFAULT now(),
    published boolean NOT NULL DEFAULT false
)""",
)


async def ensure_audit_schema(pool: AsyncConnectionPool[AsyncConnection[Any]]) -> None:
    """Idempotent; an advisory lock keeps concurrent starters from racing their DDL."""
    async with pool.connection() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('verachain-audit-ddl'))")
        for statement in DDL:
            await conn.execute(statement.encode())
