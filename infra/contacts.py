"""The contact directory: which e-mail address notifications for a subject (a token's `sub`,
the actor id in events) go to. Used by the API (each caller's own address, an admin's for
anyone), `verachain contacts` and the notifier.

Primary data outside the event store, like the evidence images: an address is personal data
that must be erasable, and the event log is append-only and signed into the audit tree, so
no address is ever written into an event. Setting or clearing one takes effect at once
(there is no read model to wait for) and leaves no trace but the row itself."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from domain.contact_email import normalize_email
from infra.bootstrap import NotConfigured
from infra.settings import Settings

Pool = AsyncConnectionPool[AsyncConnection[Any]]

# Databases set up before this module have the table without `updated_at` (the notifier's
# outbox schema made it then), hence the ALTER.
DDL = """
CREATE TABLE IF NOT EXISTS verachain_contacts (
    actor_id text PRIMARY KEY,
    email text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE verachain_contacts
    ADD COLUMN IF NOT EXISTS updated_at timestamptz NOT NULL DEFAULT now()
"""

_UPSERT = """
INSERT INTO verachain_contacts (actor_id, email) VALUES (%s, %s)
ON CONFLICT (actor_id) DO UPDATE SET email = excluded.email, updated_at = now()
RETURNING actor_id, email, updated_at
"""


@dataclass(frozen=True, slots=True)
class Contact:
    subject: str
    email: str
    updated_at: datetime


async def ensure_contacts_schema(pool: Pool) -> None:
    """Idempotent; the advisory lock keeps processes starting together (API, workers)
    from racing their CREATE ... IF NOT EXISTS, which PostgreSQL does not serialize."""
    async with pool.connection() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('verachain-contacts-ddl'))")
        await conn.execute(DDL.encode())


async def emails_of(conn: AsyncConnection[Any], subjects: Iterable[str]) -> dict[str, str]:
    """Subject -> address for those that have one, on the caller's connection (the
    notifier reads them inside its own transaction)."""
    wanted = sorted(set(subjects))
    if not wanted:
        return {}
    cursor = await conn.execute(
        "SELECT actor_id, email FROM verachain_contacts WHERE actor_id = ANY(%s)", (wanted,)
    )
    return {str(row[0]): str(row[1]) for row in await cursor.fetchall()}


class ContactDirectory:
    """Reads and changes over a pool. An address is validated before it is written
    (InvalidContact), so a refused one changes nothing. Subjects are taken as given: a
    caller's own comes from a signed token; the admin and CLI entry points check theirs
    with validate_subject."""

    def __init__(self, pool: Pool) -> None:
        self.pool = pool

    async def contact(self, subject: str) -> Contact | None:
        async with self.pool.connection() as conn:
            cursor = await conn.execute(
                "SELECT actor_id, email, updated_at FROM verachain_contacts WHERE actor_id = %s",
                (subject,),
            )
            row = await cursor.fetchone()
        return None if row is None else Contact(*row)

    async def set_email(self, subject: str, email: str) -> Contact:
        """Set (or replace) the subject's address; the stored spelling is returned."""
        address = normalize_email(email)
        # One statement: two concurrent setters of one subject serialize on its key, and
        # the later one wins (there is nothing to merge in an address).
        async with self.pool.connection() as conn:
            cursor = await conn.execute(_UPSERT, (subject, address))
            row = await cursor.fetchone()
        assert row is not None, "INSERT ... ON CONFLICT DO UPDATE always returns its row"
        return Contact(*row)

    async def clear(self, subject: str) -> bool:
        """Remove the subject's address (the row itself); False if there was none."""
        async with self.pool.connection() as conn:
            cursor = await conn.execute(
                "DELETE FROM verachain_contacts WHERE actor_id = %s", (subject,)
            )
        return cursor.rowcount > 0

    async def contacts(self) -> list[Contact]:
        """Every entry, by subject."""
        async with self.pool.connection() as conn:
            cursor = await conn.execute(
                "SELECT actor_id, email, updated_at FROM verachain_contacts ORDER BY actor_id"
            )
            return [Contact(*row) for row in await cursor.fetchall()]


@contextlib.asynccontextmanager
async def open_directory(settings: Settings) -> AsyncIterator[ContactDirectory]:
    """A directory on a pool of its own (for the command line), its table ensured."""
    if not settings.database_url:
        raise NotConfigured("VERACHAIN_DATABASE_URL is not set (or run `verachain dev`)")
    pool: Pool = AsyncConnectionPool(settings.database_url, min_size=1, max_size=1, open=False)
    await pool.open(wait=True)
    try:
        await ensure_contacts_schema(pool)
        yield ContactDirectory(pool)
    finally:
        await pool.close()
