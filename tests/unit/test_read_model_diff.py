"""Comparing live read models with a fold: equal values in other spellings are equal,
every real change is reported once, and a read model behind the store is lagging."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta, timezone
from typing import Any
from uuid import UUID, uuid4

from projections.fold import ReadModelFold
from projections.read_model_diff import (
    WHOLE,
    Difference,
    DifferenceKind,
    RedisEntry,
    diff_redis,
    diff_sql,
)
from projections.read_rows import Row
from projections.sql_schema import TABLE_BY_NAME
from tests.support.event_story import product_life_events
from tests.unit.test_fold import auction_with_bids, envelopes, folded

PREFIX = "test"


def story() -> ReadModelFold:
    return folded(envelopes([*product_life_events(), *auction_with_bids(3)]))


def as_stored(table: str, row: Row) -> Row:
    """A row as PostgreSQL hands it back: uuid columns as UUIDs, instants in another zone."""
    kinds = dict(TABLE_BY_NAME[table].columns)
    stored: dict[str, Any] = {}
    for name, value in row.items():
        if kinds[name].startswith("uuid") and value is not None:
            stored[name] = UUID(str(value))
        elif isinstance(value, datetime):
            stored[name] = value.astimezone(timezone(timedelta(hours=2)))
        else:
            stored[name] = value
    return stored


def sql_copy(fold: ReadModelFold) -> dict[str, dict[str, Row]]:
    return {
        table: {row_id: as_stored(table, row) for row_id, row in fold.rows(table).items()}
        for table in TABLE_BY_NAME
    }


def redis_copy(fold: ReadModelFold) -> dict[tuple[str, str], RedisEntry]:
    return {
        (s.aggregate_type, s.aggregate_id): RedisEntry(
            dict(s.fields), {member: float(score) for member, score in s.top_bids.items()}
        )
        for s in fold.live_states()
    }


def one_auction(fold: ReadModelFold) -> str:
    return next(i for i, row in fold.rows("auctions").items() if row["bid_count"] == 3)


def test_an_exact_copy_has_no_differences() -> None:
    fold = story()
    assert diff_sql(fold, sql_copy(fold)) == []
    assert diff_redis(fold, redis_copy(fold), PREFIX) == []


def test_a_changed_column_is_one_mismatch() -> None:
    fold = story()
    rows = sql_copy(fold)
    auction_id = one_auction(fold)
    rows["auctions"][auction_id]["highest_bidder_id"] = "mallory"
    assert diff_sql(fold, rows) == [
        Difference(
            "sql",
            "auctions",
            auction_id,
            "highest_bidder_id",
            str(fold.rows("auctions")[auction_id]["highest_bidder_id"]),
            "mallory",
            DifferenceKind.MISMATCH,
        )
    ]


def test_rows_behind_the_store_lag_and_their_bids_are_not_reported_twice() -> None:
    fold = story()
    rows = sql_copy(fold)
    auction_id = one_auction(fold)
    rows["auctions"][auction_id]["version"] = 2  # as if the projection saw two events
    for bid_id in [i for i, b in rows["bids"].items() if b["auction_version"] > 2]:
        del rows["bids"][bid_id]
    [product_id] = rows["products"]
    del rows["products"][product_id]

    found = diff_sql(fold, rows)
    assert {(d.where, d.id, d.kind, d.actual) for d in found} == {
        ("auctions", auction_id, DifferenceKind.LAGGING, "version 2"),
        ("products", product_id, DifferenceKind.LAGGING, "(absent)"),
    }


def test_missing_extra_and_ahead_rows_are_differences() -> None:
    fold = story()
    rows = sql_copy(fold)
    auction_id = one_auction(fold)
    bid_id = next(i for i, b in rows["bids"].items() if b["auction_id"] == UUID(auction_id))
    del rows["bids"][bid_id]  # its auction's row says it was applied
    stray = str(uuid4())
    rows["certificates"][stray] = copy.deepcopy(next(iter(rows["certificates"].values())))
    [verification_id] = rows["verifications"]
    rows["verifications"][verification_id]["version"] += 1

    found = {(d.where, d.id, d.field, d.kind) for d in diff_sql(fold, rows)}
    assert found == {
        ("bids", bid_id, WHOLE, DifferenceKind.MISSING),
        ("certificates", stray, WHOLE, DifferenceKind.EXTRA),
        ("verifications", verification_id, "version", DifferenceKind.MISMATCH),
    }


def test_redis_values_are_compared_by_value_not_spelling() -> None:
    fold = story()
    entries = redis_copy(fold)
    auction = entries[("Auction", one_auction(fold))]
    assert auction.fields is not None
    auction.fields["highest_amount"] = auction.fields["highest_amount"][:-1]  # 102.00 -> 102.0
    auction.fields["ends_at"] = auction.fields["ends_at"].replace("+00:00", "Z")
    assert diff_redis(fold, entries, PREFIX) == []


def test_redis_field_top_bid_and_stray_key_differences() -> None:
    fold = story()
    entries = redis_copy(fold)
    auction_id = one_auction(fold)
    auction = entries[("Auction", auction_id)]
    assert auction.fields is not None
    auction.fields["status"] = "BOGUS"
    dropped = min(auction.top_bids, key=auction.top_bids.__getitem__)
    del auction.top_bids[dropped]
    stray = str(uuid4())
    entries[("Product", stray)] = RedisEntry({"version": "1"}, {})
    [(_, product_id)] = [k for k in entries if k[0] == "Product" and k[1] != stray]
    del entries[("Product", product_id)]

    found = {(d.where, d.field, d.kind) for d in diff_redis(fold, entries, PREFIX)}
    assert found == {
        (f"test:auction:{auction_id}", "status", DifferenceKind.MISMATCH),
        (
            f"test:auction:{auction_id}:bids",
            f"top bid {json.loads(dropped)['bidId']}",
            DifferenceKind.MISSING,
        ),
        (f"test:product:{stray}", WHOLE, DifferenceKind.EXTRA),
        (f"test:product:{product_id}", "version", DifferenceKind.LAGGING),
    }
