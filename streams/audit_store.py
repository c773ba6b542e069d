"""The audit log in PostgreSQL: leaves, complete-subtree nodes and signed checkpoints."""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from projections.merkle import NodeId
from streams.audit_leaves import LeafBatch

Pool = AsyncConnectionPool[AsyncConnection[Any]]

# PostgreSQL's binary COPY format: a signature, flags and header-extension length; per row the
# field count, then each field as (length, big-endian value); a -1 field count to finish.
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
_COPY_TRAILER = struct.pack(">h", -1)
_LEAF_ROW = struct.Struct(">hiqiqi16s")  # leaf_index int8, position int8, event_id uuid
_NODE_ROW = struct.Struct(">hihiqi32s")  # level int2, idx int8, hash bytea(32)


def _uuid_bytes(text: str) -> bytes:
    return bytes.fromhex(text.replace("-", ""))


@dataclass(frozen=True, slots=True)
class StoredCheckpoint:
    tree_size: int
    root: bytes
    note: str
    signed_at: datetime


@dataclass(frozen=True, slots=True)
class StoredLeaf:
    leaf_index: int
    position: int
    event_id: str


class MissingNodes(LookupError):
    """The node table lacks hashes a proof needs: the log is behind or was damaged."""


class AuditStore:
    def __init__(self, pool: Pool) -> None:
        self.pool = pool

    async def tip(self) -> tuple[int, int]:
        """(tree size, store position of the last leaf); (0, 0) for an empty log."""
        async with self.pool.connection() as conn:
            cursor = await conn.execute(
                "SELECT leaf_index, position FROM verachain_audit_leaves "
                "ORDER BY leaf_index DESC LIMIT 1"
            )
            row = await cursor.fetchone()
        return (0, 0) if row is None else (int(row[0]) + 1, int(row[1]))

    async def size(self) -> int:
        return (await self.tip())[0]

    async def leaf_hashes(self, start: int, end: int) -> dict[int, bytes]:
        """The persisted leaf hashes of indexes [start, end)."""
        async with self.pool.connection() as conn:
            cursor = await conn.execute(
                "SELECT idx, hash FROM verachain_audit_nodes "
                "WHERE level = 0 AND idx >= %s AND idx < %s",
                (start, end),
            )
            return {int(r[0]): bytes(r[1]) for r in await cursor.fetchall()}

    async def nodes(self, ids: Sequence[NodeId]) -> dict[NodeId, bytes]:
        """The hashes of `ids`, one indexed read; MissingNodes when any is absent."""
        if not ids:
            return {}
        levels = [level for level, _ in ids]
        indexes = [index for _, index in ids]
        async with self.pool.connection() as conn:
            cursor = await conn.execute(
                "SELECT n.level, n.idx, n.hash FROM unnest(%s::smallint[], %s::bigint[]) "
                "AS w(level, idx) JOIN verachain_audit_nodes n USING (level, idx)",
                (levels, indexes),
                prepare=True,  # the proof path: planned once per connection
            )
            found = {(int(r[0]), int(r[1])): bytes(r[2]) for r in await cursor.fetchall()}
        missing = [node for node in ids if node not in found]
        if missing:
            raise MissingNodes(f"the audit log has no node {missing[0]} (of {len(missing)})")
        return found

    async def append(
        self, first_index: int, leaves: LeafBatch, nodes: Sequence[tuple[NodeId, bytes]]
    ) -> None:
        """Leaves first_index.. and the subtrees they complete, in one transaction. Rows go
        as PostgreSQL's binary COPY format packed here with precompiled structs: adapting
        them value by value (arrays, write_row) cost more than hashing the events. The leaf
        index is the primary key: a second writer appending the same leaves fails here."""
        leaf_rows = b"".join(
            _LEAF_ROW.pack(3, 8, first_index + n, 8, position, 16, _uuid_bytes(event_id))
            for n, (position, event_id) in enumerate(
                zip(leaves.positions, leaves.event_ids, strict=True)
            )
        )
        node_rows = b"".join(
            _NODE_ROW.pack(3, 2, level, 8, index, 32, digest) for (level, index), digest in nodes
        )
        async with self.pool.connection() as conn, conn.transaction():
            cursor = conn.cursor()
            for statement, rows in (
                ("COPY verachain_audit_leaves (leaf_index, position, event_id)", leaf_rows),
                ("COPY verachain_audit_nodes (level, idx, hash)", node_rows),
            ):
                async with cursor.copy(f"{statement} FROM STDIN (FORMAT BINARY)") as copy:
                    await copy.write(_COPY_HEADER + rows + _COPY_TRAILER)

    async def leaf_indexes(self, positions: Sequence[int]) -> dict[int, int]:
        """Store position -> leaf index, for the positions the log has appended."""
        async with self.pool.connection() as conn:
            cursor = await conn.execute(
                "SELECT position, leaf_index FROM verachain_audit_leaves "
                "WHERE position = ANY(%s::bigint[])",
                (list(positions),),
            )
            return {int(r[0]): int(r[1]) for r in await cursor.fetchall()}

    async def leaf_by_event(self, event_id: str) -> StoredLeaf | None:
        return await self._leaf("event_id = %s::uuid", event_id)

    async def leaf_by_position(self, position: int) -> StoredLeaf | None:
        return await self._leaf("position = %s", position)

    async def _leaf(self, condition: str, value: object) -> StoredLeaf | None:
        async with self.pool.connection() as conn:
            cursor = await conn.execute(
                "SELECT leaf_index, position, event_id FROM verachain_audit_leaves WHERE "  # noqa: S608 - our constant conditions
                + condition,
                (value,),
            )
            row = await cursor.fetchone()
        return None if row is None else StoredLeaf(int(row[0]), int(row[1]), str(row[2]))

    async def save_checkpoint(self, tree_size: int, root: bytes, note: str) -> None:
        async with self.pool.connection() as conn:
            await conn.execute(
                "INSERT INTO verachain_audit_checkpoints (tree_size, root, note) "
                "VALUES (%s, %s, %s)",
                (tree_size, root, note),
            )

    async def latest_checkpoint(self) -> StoredCheckpoint | None:
        rows = await self._checkpoints("ORDER BY tree_size DESC LIMIT 1")
        return rows[0] if rows else None

    async def checkpoint_covering(self, tree_size: int) -> StoredCheckpoint | None:
        """The smallest checkpoint whose tree holds `tree_size` leaves or more."""
        rows = await self._checkpoints(
            "WHERE tree_size >= %s ORDER BY tree_size LIMIT 1", tree_size
        )
        return rows[0] if rows else None

    async def checkpoints(self) -> list[StoredCheckpoint]:
        return await self._checkpoints("ORDER BY tree_size")

    async def unpublished(self) -> list[StoredCheckpoint]:
        return await self._checkpoints("WHERE NOT published ORDER BY tree_size")

    async def mark_published(self, tree_size: int) -> None:
        async with self.pool.connection() as conn:
            await conn.execute(
                "UPDATE verachain_audit_checkpoints SET published = true WHERE tree_size = %s",
                (tree_size,),
            )

    async def _checkpoints(self, tail: str, *params: object) -> list[StoredCheckpoint]:
        async with self.pool.connection() as conn:
            cursor = await conn.execute(
                "SELECT tree_size, root, note, signed_at FROM verachain_audit_checkpoints "  # noqa: S608 - our constant tails
                + tail,
                params,
            )
            rows = await cursor.fetchall()
        return [StoredCheckpoint(int(r[0]), bytes(r[1]), str(r[2]), r[3]) for r in rows]
