"""How far the relay got: the last published global position, kept in PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from psycopg import AsyncConnection

DDL = """
CREATE TABLE IF NOT EXISTS verachain_relay_positions (
    relay text PRIMARY KEY,
    position bigint NOT NULL,
    published bigint NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
)
"""


@dataclass(frozen=True, slots=True)
class RelayPosition:
    position: int  # every event up to this notification id is acknowledged by the broker
    published: int  # messages acknowledged since the broker's topics were (re)created


class RelayPositions:
    """Reads and writes one relay's row; reconnects after the database went away."""

    def __init__(self, database_url: str, relay: str = "relay") -> None:
        self._url = database_url
        self._relay = relay
        self._conn: AsyncConnection[object] | None = None

    async def _connection(self) -> AsyncConnection[object]:
        if self._conn is None or self._conn.closed:
            self._conn = await AsyncConnection.connect(self._url, autocommit=True)
        return self._conn

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and not conn.closed:
            await conn.close()

    async def ensure_table(self) -> None:
        await (await self._connection()).execute(DDL)

    async def load(self) -> RelayPosition:
        conn = await self._connection()
        cursor = await conn.execute(
            "SELECT position, published FROM verachain_relay_positions WHERE relay = %s",
            (self._relay,),
        )
        row = cast(tuple[int, int] | None, await cursor.fetchone())
        if row is None:
            return RelayPosition(0, 0)
        return RelayPosition(int(row[0]), int(row[1]))

    async def save(self, position: RelayPosition) -> None:
        conn = await self._connection()
        await conn.execute(
            "INSERT INTO verachain_relay_positions (relay, position, published) "
            "VALUES (%s, %s, %s) ON CONFLICT (relay) DO UPDATE "
            "SET position = EXCLUDED.position, published = EXCLUDED.published, updated_at = now()",
            (self._relay, position.position, position.published),
        )
