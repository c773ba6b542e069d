"""Events a projection could not apply: kept in PostgreSQL (for `projections status`) and
published to the dead-letter topic, never skipped silently."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

DDL = """
CREATE TABLE IF NOT EXISTS verachain_projection_dead_letters (
    id bigserial PRIMARY KEY,
    projection text NOT NULL,
    event_id text,
    position bigint,
    event_type text,
    aggregate_id text,
    error text NOT NULL,
    message bytea NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
);
-- minPosition treats a dead-lettered position as passed (api/applied_watermark.py)
CREATE INDEX IF NOT EXISTS verachain_projection_dead_letters_position
    ON verachain_projection_dead_letters (position)
"""

Publish = Callable[[bytes, bytes], Awaitable[None]]  # (key, value) to the dead-letter topic


class DeadLetters:
    def __init__(
        self,
        pool: AsyncConnectionPool[AsyncConnection[Any]],
        publish: Publish,
        projection: str = "read-model",
    ) -> None:
        self.pool = pool
        self.publish = publish
        self.projection = projection

    async def record(self, message: bytes, error: BaseException) -> None:
        envelope = _envelope_or_none(message)
        reason = f"{type(error).__name__}: {error}"
        async with self.pool.connection() as conn:
            await conn.execute(
                "INSERT INTO verachain_projection_dead_letters "
                "(projection, event_id, position, event_type, aggregate_id, error, message) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s)",
                (
                    self.projection,
                    envelope.get("event_id"),
                    envelope.get("position"),
                    envelope.get("type"),
                    envelope.get("aggregate_id"),
                    reason,
                    message,
                ),
            )
        value = json.dumps(
            {
                "projection": self.projection,
                "error": reason,
                "message": message.decode("utf-8", "replace"),
            }
        ).encode()
        await self.publish(str(envelope.get("aggregate_id", "")).encode(), value)


def _envelope_or_none(message: bytes) -> dict[str, Any]:
    try:
        decoded = json.loads(message)
    except (ValueError, UnicodeDecodeError):
        return {}
    return decoded if isinstance(decoded, dict) else {}
