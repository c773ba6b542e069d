"""Differences between a fold of the event store and what the live read models hold.

Pure: the rows and keys to compare come in as values (streams/read_model_snapshot.py reads
them). A row or key whose version is below the fold's is *lagging* (the live projection
has not reached it yet), not a mismatch: its fields are compared only at equal versions."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any
from uuid import UUID

from projections.fold import LiveState, ReadModelFold
from projections.live_model import PREFIX
from projections.read_rows import TABLE_BY_AGGREGATE, Row
from projections.sql_schema import TABLE_BY_NAME

WHOLE = "(row)"  # the field of a difference about a whole row or key


class DifferenceKind(StrEnum):
    MISMATCH = "mismatch"  # present on both sides, a value differs
    MISSING = "missing"  # the store has it, the read model does not (and is not behind)
    EXTRA = "extra"  # the read model has it, the store does not
    LAGGING = "lagging"  # the read model is behind the store for this aggregate


@dataclass(frozen=True, order=True)
class Difference:
    model: str  # "sql" or "redis"
    where: str  # the table, or the Redis key
    id: str
    field: str
    expected: str  # per the store
    actual: str  # per the read model
    kind: DifferenceKind


@dataclass(frozen=True)
class RedisEntry:
    """One aggregate's keys as read from Redis: its hash (None: absent) and top bids."""

    fields: dict[str, str] | None
    top_bids: dict[str, float]


def normalise(value: Any) -> Any:
    """A value as both sides can hold it: UUIDs as strings, instants in UTC."""
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    if isinstance(value, list | tuple):
        return [normalise(item) for item in value]
    return value


def shown(value: Any) -> str:
    value = normalise(value)
    if value is None:
        return "NULL"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def diff_sql(fold: ReadModelFold, tables: Mapping[str, Mapping[str, Row]]) -> list[Difference]:
    """Every table of the fold against the live tables' rows (by id)."""
    found: list[Difference] = []
    versions: dict[str, int] = {}  # live auction id -> its row's version
    for table_name in TABLE_BY_AGGREGATE.values():
        actual_rows = tables.get(table_name, {})
        for row_id, expected in fold.rows(table_name).items():
            actual = actual_rows.get(row_id)
            found.extend(_versioned(table_name, row_id, expected, actual))
        found.extend(_extra("sql", table_name, actual_rows, fold.rows(table_name)))
        if table_name == "auctions":
            versions = {i: int(row["version"]) for i, row in actual_rows.items()}
    actual_bids = tables.get("bids", {})
    for bid_id, expected in fold.rows("bids").items():
        actual = actual_bids.get(bid_id)
        if actual is not None:
            found.extend(_columns("bids", bid_id, expected, actual))
        elif versions.get(str(expected["auction_id"]), 0) >= int(expected["auction_version"]):
            # The auction's row says its bid was applied: not lag. (If the row is behind,
            # its own lagging entry covers the bid.)
            found.append(_whole("sql", "bids", bid_id, DifferenceKind.MISSING))
    found.extend(_extra("sql", "bids", actual_bids, fold.rows("bids")))
    return found


def diff_redis(
    fold: ReadModelFold,
    entries: Mapping[tuple[str, str], RedisEntry],
    prefix: str = PREFIX,
) -> list[Difference]:
    """Every aggregate's Redis state in the fold against the keys read from Redis, keyed
    by (aggregate type, aggregate id)."""
    found: list[Difference] = []
    expected_keys: set[tuple[str, str]] = set()
    for state in fold.live_states():
        expected_keys.add((state.aggregate_type, state.aggregate_id))
        entry = entries.get((state.aggregate_type, state.aggregate_id))
        found.extend(_redis_state(state, entry, prefix))
    for (aggregate_type, aggregate_id), entry in entries.items():
        if (aggregate_type, aggregate_id) not in expected_keys:
            state = LiveState(aggregate_type, aggregate_id, {}, {})
            key = state.key(prefix) if entry.fields is not None else state.bids_key(prefix)
            found.append(_whole("redis", str(key), aggregate_id, DifferenceKind.EXTRA))
    return found


def _versioned(table: str, row_id: str, expected: Row, actual: Row | None) -> list[Difference]:
    if actual is None:
        return [_lagging("sql", table, row_id, int(expected["version"]), None)]
    have, want = int(actual["version"]), int(expected["version"])
    if have < want:
        return [_lagging("sql", table, row_id, want, have)]
    return _columns(table, row_id, expected, actual)


def _columns(table: str, row_id: str, expected: Row, actual: Row) -> list[Difference]:
    return [
        Difference(
            "sql",
            table,
            row_id,
            column,
            shown(expected.get(column)),
            shown(actual.get(column)),
            DifferenceKind.MISMATCH,
        )
        for column in TABLE_BY_NAME[table].column_names
        if normalise(expected.get(column)) != normalise(actual.get(column))
    ]


def _redis_state(state: LiveState, entry: RedisEntry | None, prefix: str) -> list[Difference]:
    key = state.key(prefix)
    if entry is None or entry.fields is None:
        return [_lagging("redis", key, state.aggregate_id, state.version, None)]
    try:
        have = int(entry.fields.get("version", "0"))
    except ValueError:
        have = state.version  # not a number: reported as a mismatch below
    if have < state.version:
        return [_lagging("redis", key, state.aggregate_id, state.version, have)]
    found = [
        Difference(
            "redis",
            key,
            state.aggregate_id,
            name,
            state.fields.get(name, "(absent)"),
            entry.fields.get(name, "(absent)"),
            DifferenceKind.MISMATCH,
        )
        for name in sorted(set(state.fields) | set(entry.fields))
        if _field_value(name, state.fields.get(name)) != _field_value(name, entry.fields.get(name))
    ]
    bids_key = state.bids_key(prefix)
    if bids_key is not None:
        found.extend(_top_bids(bids_key, state.aggregate_id, state.top_bids, entry.top_bids))
    elif entry.top_bids:
        found.append(_whole("redis", f"{key}:bids", state.aggregate_id, DifferenceKind.EXTRA))
    return found


def _top_bids(
    key: str, auction_id: str, expected: dict[str, int], actual: dict[str, float]
) -> list[Difference]:
    found = []
    for member in sorted(set(expected) | set(actual)):
        want, have = expected.get(member), actual.get(member)
        if want is not None and have is not None and float(want) == have:
            continue
        kind = (
            DifferenceKind.EXTRA
            if want is None
            else DifferenceKind.MISSING
            if have is None
            else DifferenceKind.MISMATCH
        )
        found.append(
            Difference(
                "redis",
                key,
                auction_id,
                f"top bid {_bid_id(member)}",
                "(absent)" if want is None else str(want),
                "(absent)" if have is None else f"{have:.0f}",
                kind,
            )
        )
    return found


def _bid_id(member: str) -> str:
    try:
        return str(json.loads(member)["bidId"])
    except (ValueError, KeyError, TypeError):
        return member


def _decimal(text: str) -> Any:
    return Decimal(text) if text else text


def _instant(text: str) -> Any:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


# Hash fields compared by value rather than spelling ("1250.00" == "1250.0"; one instant
# in two offsets): a live row read back from PostgreSQL may spell them differently.
_FIELD_VALUES: dict[str, Callable[[str], Any]] = {"highest_amount": _decimal, "ends_at": _instant}


def _field_value(name: str, text: str | None) -> Any:
    parse = _FIELD_VALUES.get(name)
    if parse is None or text is None:
        return text
    try:
        return parse(text)
    except (ValueError, InvalidOperation):
        return text


def _extra(
    model: str, table: str, actual: Mapping[str, Row], expected: Mapping[str, Row]
) -> list[Difference]:
    return [
        _whole(model, table, row_id, DifferenceKind.EXTRA)
        for row_id in actual
        if row_id not in expected
    ]


def _whole(model: str, where: str, row_id: str, kind: DifferenceKind) -> Difference:
    present, absent = "present", "(absent)"
    expected, actual = (absent, present) if kind is DifferenceKind.EXTRA else (present, absent)
    return Difference(model, where, row_id, WHOLE, expected, actual, kind)


def _lagging(model: str, where: str, row_id: str, want: int, have: int | None) -> Difference:
    actual = "(absent)" if have is None else f"version {have}"
    return Difference(
        model, where, row_id, "version", f"version {want}", actual, DifferenceKind.LAGGING
    )
