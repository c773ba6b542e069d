"""How far the read model has got, for `minPosition`: the highest position P such that every
event at or before P has been applied (or dead-lettered).

Checking only the event at the asked position is not enough: the events of one product and
its auction travel on different partitions, and a worker may have applied the bid (position
120) while the certification it depends on (position 110) still waits on another partition.
So the check walks the store's positions from the last known watermark forward, finds the
first event whose aggregate's row is still below that event's version, and keeps the
watermark just before it. Positions are committed in order (the store's table lock), and a
read model never goes backwards (a rebuild swaps in a complete one), so the watermark only
grows and each check costs the events since the previous one: a few hundred rows at most
in steady state. A cold process walks the store in chunks, so even the first check on a
large store is bounded and later checks resume where it stopped."""

from __future__ import annotations

import asyncio
from typing import Any

from psycopg import AsyncConnection, sql
from psycopg_pool import AsyncConnectionPool

CHUNK = 50_000

# The first event in (low, high] that the read model has neither applied nor dead-lettered,
# and the store's head (a client may ask for a position that does not exist yet; the
# watermark must never pass the head). Rows of one aggregate are applied in version order,
# so "row version >= event version" means applied. Four primary-key probes per event; the
# store's notification_id index bounds the scan.
_FIRST_MISSING = """
SELECT (
    SELECT min(e.notification_id) FROM verachain_events e
    WHERE e.notification_id > %(low)s AND e.notification_id <= %(high)s
    AND COALESCE(
        (SELECT version FROM {schema}.products WHERE id = e.originator_id),
        (SELECT version FROM {schema}.verifications WHERE id = e.originator_id),
        (SELECT version FROM {schema}.certificates WHERE id = e.originator_id),
        (SELECT version FROM {schema}.auctions WHERE id = e.originator_id),
        0
    ) < e.originator_version
    AND NOT EXISTS (
        SELECT 1 FROM verachain_projection_dead_letters d WHERE d.position = e.notification_id
    )
), (SELECT coalesce(max(notification_id), 0) FROM verachain_events)
"""


class AppliedWatermark:
    def __init__(
        self, pool: AsyncConnectionPool[AsyncConnection[Any]], schema: str, through: int = 0
    ) -> None:
        self.pool = pool
        self._query = sql.SQL(_FIRST_MISSING).format(schema=sql.Identifier(schema))
        self.through = through  # every event up to here is known to be applied
        # One walk at a time: concurrent waiters share its result instead of repeating it.
        self._walking = asyncio.Lock()

    async def reached(self, position: int) -> bool:
        """True when every event up to `position` is in the read model. Walks at most one
        chunk per call, so a caller waiting with a deadline gets control back in time."""
        if position <= self.through:
            return True
        async with self._walking:
            if position <= self.through:  # another waiter walked while this one queued
                return True
            low = self.through
            first_missing, head = await self._first_missing(low, min(position, low + CHUNK))
            if first_missing is not None:
                self.through = first_missing - 1
            else:
                self.through = max(low, min(position, low + CHUNK, head))
            return position <= self.through

    async def _first_missing(self, low: int, high: int) -> tuple[int | None, int]:
        async with self.pool.connection() as conn:
            cursor = await conn.execute(self._query, {"low": low, "high": high})
            row = await cursor.fetchone()
        if row is None:  # a SELECT without FROM always returns its one row
            return None, low
        return (None if row[0] is None else int(row[0])), int(row[1])
