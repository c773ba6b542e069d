"""Evidence images in PostgreSQL, content-addressed by their SHA-256.

The table is primary data, not a read model: events refer to images by hash only, so a
projection rebuild never touches it (it lives outside the read models' schema). It is the
`EvidenceCatalog` (commands/evidence.py) the API checks verification requests against."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection, AsyncCursor
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

Pool = AsyncConnectionPool[AsyncConnection[Any]]

DDL = """
CREATE TABLE IF NOT EXISTS verachain_evidence (
    sha256 text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    media_type text NOT NULL,
    bytes bytea NOT NULL,
    width integer NOT NULL CHECK (width > 0),
    height integer NOT NULL CHECK (height > 0),
    size integer NOT NULL CHECK (size = octet_length(bytes)),
    uploaded_by text NOT NULL,
    uploaded_at timestamptz NOT NULL DEFAULT now()
)
"""

_INSERT = """
INSERT INTO verachain_evidence (sha256, media_type, bytes, width, height, size, uploaded_by)
VALUES (%s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (sha256) DO NOTHING
RETURNING sha256, media_type, width, height, size, uploaded_by, uploaded_at
"""
_SELECT_FACTS = """
SELECT sha256, media_type, width, height, size, uploaded_by, uploaded_at
FROM verachain_evidence WHERE sha256 = %s
"""


@dataclass(frozen=True, slots=True)
class StoredEvidence:
    sha256: str
    media_type: str
    width: int
    height: int
    size: int
    uploaded_by: str
    uploaded_at: datetime


async def ensure_evidence_schema(pool: Pool) -> None:
    """Idempotent; the advisory lock keeps API processes starting together from racing
    their CREATE ... IF NOT EXISTS (which PostgreSQL does not serialize)."""
    async with pool.connection() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('verachain-evidence-ddl'))")
        await conn.execute(DDL.encode())


class EvidenceStore:
    def __init__(self, pool: Pool) -> None:
        self.pool = pool

    async def put(
        self,
        *,
        sha256: str,
        media_type: str,
        data: bytes,
        width: int,
        height: int,
        uploaded_by: str,
    ) -> tuple[StoredEvidence, bool]:
        """Store the image unless its hash is already there; (the stored row, created).

        The same bytes always give the same hash and facts, so a repeat (or a concurrent
        twin) upload keeps the first row: ON CONFLICT DO NOTHING makes the primary key the
        arbiter, with no read-then-insert race."""
        async with _cursor(self.pool) as cur:
            await cur.execute(
                _INSERT,
                (sha256, media_type, data, width, height, len(data), uploaded_by),
            )
            row = await cur.fetchone()
            if row is not None:
                return StoredEvidence(**row), True
            await cur.execute(_SELECT_FACTS, (sha256,))
            existing = await cur.fetchone()
        assert existing is not None, "a conflicting row cannot vanish: evidence is never deleted"
        return StoredEvidence(**existing), False

    async def content(self, sha256: str) -> tuple[str, bytes] | None:
        """(media type, bytes) of the image, or None."""
        async with _cursor(self.pool) as cur:
            await cur.execute(
                "SELECT media_type, bytes FROM verachain_evidence WHERE sha256 = %s", (sha256,)
            )
            row = await cur.fetchone()
        return None if row is None else (str(row["media_type"]), bytes(row["bytes"]))

    async def missing(self, hashes: Sequence[str]) -> list[str]:
        """The hashes with no stored image, in their given order (one query for all)."""
        async with _cursor(self.pool) as cur:
            await cur.execute(
                "SELECT sha256 FROM verachain_evidence WHERE sha256 = ANY(%s)", (list(hashes),)
            )
            found = {str(row["sha256"]) for row in await cur.fetchall()}
        return [digest for digest in hashes if digest not in found]


@contextlib.asynccontextmanager
async def _cursor(pool: Pool) -> AsyncIterator[AsyncCursor[dict[str, Any]]]:
    """A dict-row cursor on a pooled connection, committed when the block ends."""
    async with pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        yield cur
