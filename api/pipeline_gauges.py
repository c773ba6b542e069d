"""The pipeline's lag as the API sees it, refreshed on every /metrics scrape: how far the
relay (published position) and the read model (newest applied position) are behind the
event store's head. Three cheap queries: the store's primary key, one row, and the
aggregate tables (one row per aggregate, not per event)."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Gauge
from psycopg import AsyncConnection, sql
from psycopg_pool import AsyncConnectionPool

from projections.sql_schema import LIVE_SCHEMA

_AGGREGATE_TABLES = ("products", "verifications", "certificates", "auctions")


class PipelineGauges:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.head = Gauge(
            "verachain_api_store_head_position", "Event store head", registry=registry
        )
        self.relay_lag = Gauge(
            "verachain_api_relay_lag_events",
            "Store head minus the relay's published position",
            registry=registry,
        )
        self.read_model_lag = Gauge(
            "verachain_api_read_model_lag_events",
            "Store head minus the newest position applied to the read model",
            registry=registry,
        )

    async def refresh(self, pool: AsyncConnectionPool[AsyncConnection[Any]]) -> None:
        async with pool.connection() as conn:
            head = await _scalar(conn, sql.SQL("SELECT max(notification_id) FROM verachain_events"))
            published = await _scalar(
                conn,
                sql.SQL(
                    "SELECT CASE WHEN to_regclass('verachain_relay_positions') IS NULL THEN 0"
                    " ELSE (SELECT coalesce(max(position), 0) FROM verachain_relay_positions) END"
                ),
            )
            applied = await _scalar(
                conn,
                sql.SQL("SELECT greatest({})").format(
                    sql.SQL(", ").join(
                        sql.SQL("(SELECT coalesce(max(position), 0) FROM {}.{})").format(
                            sql.Identifier(LIVE_SCHEMA), sql.Identifier(table)
                        )
                        for table in _AGGREGATE_TABLES
                    )
                ),
            )
        self.head.set(head)
        self.relay_lag.set(max(0, head - published))
        self.read_model_lag.set(max(0, head - applied))


async def _scalar(conn: AsyncConnection[Any], query: sql.Composed | sql.SQL) -> int:
    cursor = await conn.execute(query)
    row = await cursor.fetchone()
    return int(row[0] or 0) if row else 0
