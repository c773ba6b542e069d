"""Wakes the relay when the event store commits: PostgreSQL LISTEN on the store's channel.

Polling stays the fallback: a wait never lasts longer than its timeout, and a dropped
LISTEN connection is reopened on the next wait."""

from __future__ import annotations

import asyncio
import logging

from psycopg import AsyncConnection, sql

log = logging.getLogger(__name__)

# eventsourcing's recorder sends NOTIFY on the events table's name.
STORE_CHANNEL = "verachain_events"


class StoreListener:
    def __init__(self, database_url: str, channel: str = STORE_CHANNEL) -> None:
        self._url = database_url
        self._channel = channel
        self._conn: AsyncConnection[object] | None = None

    async def wait(self, seconds: float) -> None:
        """Return on the next commit to the store, or after `seconds`."""
        try:
            conn = await self._connection()
            async for _ in conn.notifies(timeout=seconds, stop_after=1):
                pass
        except Exception as e:  # the database went away: poll until it is back
            log.debug("LISTEN failed (%s); polling", e)
            await self.close()
            await asyncio.sleep(seconds)

    async def _connection(self) -> AsyncConnection[object]:
        if self._conn is None or self._conn.closed:
            self._conn = await AsyncConnection.connect(self._url, autocommit=True)
            await self._conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self._channel)))
        return self._conn

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and not conn.closed:
            await conn.close()
