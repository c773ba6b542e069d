"""What the scheduler remembers in PostgreSQL: when each entry was first seen (armed) and
every slot it fired, with the job it enqueued. Shared by every worker of the group, so a new
leader or a restarted one knows what the previous one did."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection

DDL = """
CREATE TABLE IF NOT EXISTS verachain_schedules (
    entry text PRIMARY KEY,
    armed_at timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS verachain_schedule_runs (
    entry text NOT NULL,
    slot timestamptz NOT NULL,
    job_id text NOT NULL,
    enqueued_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (entry, slot)
)
"""


@dataclass(frozen=True, slots=True)
class EntryState:
    armed_at: datetime | None  # None: no scheduler has seen the entry yet
    last_slot: datetime | None
    last_job_id: str | None
    last_enqueued_at: datetime | None


async def ensure_schema(conn: AsyncConnection[Any]) -> None:
    async with conn.transaction():
        # Workers starting together would race on CREATE TABLE IF NOT EXISTS.
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('verachain_schedules'))")
        await conn.execute(DDL)


async def lock_entry(
    conn: AsyncConnection[Any], entry: str, now: datetime
) -> tuple[datetime, datetime | None]:
    """Inside the caller's transaction: arm the entry if new, lock its row until commit and
    return (armed_at, last fired slot). The row lock is what makes two schedulers (two
    workers that both believe they lead, during a rebalance) take turns: the second one
    reads the slot the first recorded, and enqueues nothing."""
    await conn.execute(
        "INSERT INTO verachain_schedules (entry, armed_at) VALUES (%s, %s) "
        "ON CONFLICT (entry) DO NOTHING",
        (entry, now),
    )
    cursor = await conn.execute(
        "SELECT armed_at FROM verachain_schedules WHERE entry = %s FOR UPDATE", (entry,)
    )
    armed = await cursor.fetchone()
    assert armed is not None  # inserted above, and rows are never deleted
    cursor = await conn.execute(
        "SELECT max(slot) FROM verachain_schedule_runs WHERE entry = %s", (entry,)
    )
    last = await cursor.fetchone()
    return armed[0], last[0] if last else None


async def record_run(conn: AsyncConnection[Any], entry: str, slot: datetime, job_id: str) -> None:
    await conn.execute(
        "INSERT INTO verachain_schedule_runs (entry, slot, job_id) VALUES (%s, %s, %s)",
        (entry, slot, job_id),
    )


async def entry_states(conn: AsyncConnection[Any]) -> dict[str, EntryState]:
    """Every entry's state, for `verachain jobs schedule` (empty before any scheduler ran)."""
    cursor = await conn.execute("SELECT to_regclass('verachain_schedule_runs')")
    exists = await cursor.fetchone()
    if exists is None or exists[0] is None:
        return {}
    cursor = await conn.execute(
        "SELECT s.entry, s.armed_at, r.slot, r.job_id, r.enqueued_at "
        "FROM verachain_schedules s LEFT JOIN LATERAL ("
        "  SELECT slot, job_id, enqueued_at FROM verachain_schedule_runs "
        "  WHERE entry = s.entry ORDER BY slot DESC LIMIT 1"
        ") r ON true"
    )
    return {row[0]: EntryState(*row[1:]) for row in await cursor.fetchall()}
