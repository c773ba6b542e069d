"""The API's only window on data: the read models (PostgreSQL read tables, Redis hot auction
state). Every call takes many ids at once, so the DataLoaders (api/loaders.py) turn a query
for 50 auctions and their bids into a constant number of round trips. Every statement is
parameterized; table and schema names are our constants, composed with psycopg.sql."""

from __future__ import annotations

import asyncio
import base64
import binascii
import time
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection, sql
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis

from api.applied_watermark import AppliedWatermark
from domain.errors import ValidationFailed
from projections.live_model import auction_key
from projections.sql_schema import LIVE_SCHEMA

Row = dict[str, Any]
MAX_PAGE = 100
POLL_S = 0.02


def encode_cursor(moment: datetime, row_id: str) -> str:
    return base64.urlsafe_b64encode(f"{moment.isoformat()}|{row_id}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, UUID]:
    try:
        moment, row_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        return datetime.fromisoformat(moment), UUID(row_id)
    except (ValueError, binascii.Error, UnicodeDecodeError) as e:
        raise ValidationFailed("after: not a cursor this API issued") from e


def page_size(first: int | None, default: int = 20) -> int:
    size = default if first is None else first
    if not 1 <= size <= MAX_PAGE:
        raise ValidationFailed(f"first must be between 1 and {MAX_PAGE}")
    return size


class ReadModels:
    def __init__(
        self,
        pool: AsyncConnectionPool[AsyncConnection[Any]],
        redis: Redis,
        schema: str = LIVE_SCHEMA,
    ) -> None:
        self.pool = pool
        self.redis = redis
        self.schema = schema
        self.watermark = AppliedWatermark(pool, schema)

    def _table(self, name: str) -> sql.Composed:
        return sql.SQL("{}.{}").format(sql.Identifier(self.schema), sql.Identifier(name))

    async def _fetch(self, query: sql.Composed | sql.SQL, params: tuple[Any, ...]) -> list[Row]:
        async with self.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cursor:
            await cursor.execute(query, params)
            return list(await cursor.fetchall())

    async def rows_by_id(self, table: str, ids: list[str]) -> dict[str, Row]:
        query = sql.SQL("SELECT * FROM {} WHERE id = ANY(%s::uuid[])").format(self._table(table))
        rows = await self._fetch(query, (ids,))
        return {str(row["id"]): row for row in rows}

    async def rows_by_parent(self, table: str, parent: str, ids: list[str]) -> list[Row]:
        """Rows whose `parent` column is one of `ids` (certificates of products...)."""
        query = sql.SQL("SELECT * FROM {} WHERE {} = ANY(%s::uuid[]) ORDER BY {}, id").format(
            self._table(table),
            sql.Identifier(parent),
            sql.Identifier("issued_at" if table == "certificates" else "requested_at"),
        )
        return await self._fetch(query, (ids,))

    async def top_bids(self, auction_ids: list[str], first: int) -> dict[str, list[Row]]:
        """The `first` highest bids of each auction, in one statement (a lateral join)."""
        query = sql.SQL(
            "SELECT b.* FROM unnest(%s::uuid[]) AS a(id) CROSS JOIN LATERAL ("
            " SELECT * FROM {} WHERE auction_id = a.id ORDER BY amount DESC, placed_at LIMIT %s"
            ") b"
        ).format(self._table("bids"))
        grouped: dict[str, list[Row]] = {auction_id: [] for auction_id in auction_ids}
        for row in await self._fetch(query, (auction_ids, first)):
            grouped[str(row["auction_id"])].append(row)
        return grouped

    async def products_page(
        self, first: int, after: str | None, status: str | None, manufacturer: str | None
    ) -> list[Row]:
        """One page (plus one row, to know whether there is a next page)."""
        conditions: list[sql.Composable] = []
        params: list[Any] = []
        if status is not None:
            conditions.append(sql.SQL("verification_status = %s"))
            params.append(status)
        if manufacturer is not None:
            conditions.append(sql.SQL("manufacturer = %s"))
            params.append(manufacturer)
        return await self._page(
            "products",
            "registered_at",
            conditions=conditions,
            params=params,
            first=first,
            after=after,
        )

    async def auctions_page(self, first: int, after: str | None, status: str | None) -> list[Row]:
        conditions: list[sql.Composable] = []
        params: list[Any] = []
        if status is not None:
            conditions.append(sql.SQL("status = %s"))
            params.append(status)
        return await self._page(
            "auctions", "opened_at", conditions=conditions, params=params, first=first, after=after
        )

    async def _page(
        self,
        table: str,
        order_column: str,
        *,
        conditions: list[sql.Composable],
        params: list[Any],
        first: int,
        after: str | None,
    ) -> list[Row]:
        if after is not None:
            moment, row_id = decode_cursor(after)
            conditions.append(sql.SQL("({}, id) > (%s, %s)").format(sql.Identifier(order_column)))
            params.extend((moment, row_id))
        where = sql.SQL("WHERE ") + sql.SQL(" AND ").join(conditions) if conditions else sql.SQL("")
        query = sql.SQL("SELECT * FROM {} {} ORDER BY {}, id LIMIT %s").format(
            self._table(table), where, sql.Identifier(order_column)
        )
        return await self._fetch(query, (*params, first + 1))

    async def live_auctions(self, ids: list[str]) -> dict[str, dict[str, str]]:
        """The Redis hash of each auction (empty when Redis does not hold it), one round trip."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for auction_id in ids:
                pipe.hgetall(auction_key(auction_id))
            results = await pipe.execute()
        return {
            auction_id: {_text(k): _text(v) for k, v in found.items()}
            for auction_id, found in zip(ids, results, strict=True)
        }

    async def wait_for(self, position: int, timeout_s: float) -> bool:
        """Wait until the read model has applied every event up to `position`; False when
        the time ran out."""
        deadline = time.monotonic() + timeout_s
        while True:
            if await self.watermark.reached(position):
                return True
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(POLL_S)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
