"""What the live read models hold right now, read for comparison with a fold of the store:
every row of every SQL table (one consistent snapshot) and every key of the Redis model."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import IsolationLevel, sql
from redis import Redis

from projections.fold import LiveState
from projections.read_model_diff import RedisEntry, normalise
from projections.read_rows import Row
from projections.sql_schema import LIVE_SCHEMA, TABLES
from streams.redis_rebuild import read_model_keys

SqlRows = dict[str, dict[str, Row]]  # table -> row id -> row
RedisEntries = dict[tuple[str, str], RedisEntry]  # (aggregate type, id) -> its keys

_AGGREGATE_OF_KEY = {"auction": "Auction", "product": "Product", "verification": "Verification"}
_READ_CHUNK = 500  # aggregates per MULTI/EXEC read


def read_sql_rows(database_url: str) -> SqlRows:
    """Every row of the live tables, ids as strings. One REPEATABLE READ transaction, so
    the tables agree with each other. A missing schema or table reads as empty."""
    rows: SqlRows = {table.name: {} for table in TABLES}
    with psycopg.connect(database_url) as conn:
        conn.isolation_level = IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        with conn.transaction():
            for table in TABLES:
                found = conn.execute(
                    "SELECT to_regclass(%s)", (f'"{LIVE_SCHEMA}"."{table.name}"',)
                ).fetchone()
                if found is None or found[0] is None:
                    continue
                query = sql.SQL("SELECT {} FROM {}.{}").format(
                    sql.SQL(", ").join(map(sql.Identifier, table.column_names)),
                    sql.Identifier(LIVE_SCHEMA),
                    sql.Identifier(table.name),
                )
                for values in conn.execute(query):
                    row = {
                        name: normalise(value)
                        for name, value in zip(table.column_names, values, strict=True)
                    }
                    rows[table.name][str(row["id"])] = row
    return rows


def read_redis_entries(client: Redis, prefix: str) -> RedisEntries:
    """Every aggregate's hash and top-bids set under `prefix`; an aggregate's keys are
    read together in one MULTI/EXEC, so the two agree."""
    aggregates: dict[tuple[str, str], None] = {}
    for key in read_model_keys(client, prefix):
        kind, aggregate_id = key[len(prefix) + 1 :].split(":")[:2]
        aggregates[(_AGGREGATE_OF_KEY[kind], aggregate_id)] = None
    entries: RedisEntries = {}
    wanted = list(aggregates)
    for start in range(0, len(wanted), _READ_CHUNK):
        chunk = wanted[start : start + _READ_CHUNK]
        pipe = client.pipeline(transaction=True)
        for aggregate_type, aggregate_id in chunk:
            state = LiveState(aggregate_type, aggregate_id, {}, {})
            pipe.exists(state.key(prefix))
            pipe.hgetall(state.key(prefix))
            bids_key = state.bids_key(prefix)
            if bids_key is not None:
                pipe.zrange(bids_key, 0, -1, withscores=True)
        replies = iter(pipe.execute())
        for aggregate_type, aggregate_id in chunk:
            exists, fields = next(replies), next(replies)
            bids = next(replies) if aggregate_type == "Auction" else []
            entries[(aggregate_type, aggregate_id)] = RedisEntry(
                {_text(k): _text(v) for k, v in fields.items()} if exists else None,
                {_text(member): float(score) for member, score in bids},
            )
    return entries


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
