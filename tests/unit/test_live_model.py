"""The Redis read model as pure functions: keys, fields, top bids and live messages."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from domain.envelope import envelope_of
from projections.live_model import (
    auction_bids_key,
    auction_channel,
    auction_key,
    cents,
    live_update,
    product_channel,
)
from projections.read_rows import Row, VersionGap, project
from tests.support.event_story import product_life_events


def folded() -> list[tuple[dict[str, Any], Row]]:
    """Each event's envelope with its aggregate's row right after it."""
    rows: dict[str, Row] = {}
    out: list[tuple[dict[str, Any], Row]] = []
    for position, event in enumerate(product_life_events(), start=1):
        envelope: dict[str, Any] = json.loads(json.dumps(envelope_of(event, position)))
        projected = project(envelope, rows.get(envelope["aggregate_id"]))
        assert projected is not None
        rows[envelope["aggregate_id"]] = projected.row
        out.append((envelope, projected.row))
    return out


def test_every_bid_publishes_its_amount_as_money_and_adds_a_top_bid_in_cents() -> None:
    bids = [(e, r) for e, r in folded() if e["type"] == "BidPlaced"]
    assert bids
    for envelope, row in bids:
        update = live_update(envelope, row)
        assert update is not None
        assert update.key == auction_key(envelope["aggregate_id"])
        assert update.bids_key == auction_bids_key(envelope["aggregate_id"])
        assert update.channel == auction_channel(envelope["aggregate_id"])
        message = json.loads(update.message or "")
        assert message["kind"] == "BID_PLACED"
        assert message["amount"] == {
            "amount": envelope["data"]["amount"],
            "currency": envelope["data"]["currency"],
        }
        assert message["position"] == envelope["position"]
        assert update.top_bid is not None
        assert update.top_bid[1] == cents(Decimal(envelope["data"]["amount"]))
        assert update.fields["highest_amount"] == str(row["highest_amount"])
        assert update.fields["version"] == str(envelope["aggregate_version"])


def test_auction_events_without_news_update_the_hash_but_publish_nothing() -> None:
    opened = next(e for e in folded() if e[0]["type"] == "AuctionOpened")
    update = live_update(*opened)
    assert update is not None
    assert update.message is None
    assert update.channel is None
    assert update.fields["status"] == "OPEN"


def test_only_verification_status_changes_of_a_product_are_published() -> None:
    for envelope, row in folded():
        if envelope["aggregate_type"] != "Product":
            continue
        update = live_update(envelope, row)
        assert update is not None
        if envelope["type"] == "ProductVerificationStatusChanged":
            assert update.channel == product_channel(envelope["aggregate_id"])
            assert json.loads(update.message or "")["status"] == envelope["data"]["status"]
        else:
            assert update.message is None


def test_a_redelivered_event_is_skipped_and_a_skipped_version_is_a_gap() -> None:
    events = folded()
    envelope, row = events[1]
    assert project(envelope, row) is None  # already applied
    later = next(e for e, _ in events[2:] if e["aggregate_id"] == envelope["aggregate_id"])
    with pytest.raises(VersionGap) as gap:
        project({**later, "aggregate_version": row["version"] + 2}, row)
    assert gap.value.have == row["version"]
