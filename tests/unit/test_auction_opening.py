"""Auction: opening terms and their validation."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest

from domain.auction import MAX_DURATION, MAX_EXTENSION_SECONDS, Auction
from domain.errors import (
    ValidationFailed,
)
from domain.statuses import AuctionStatus
from tests.unit.support import (
    END,
    T0,
    event_types,
    pending,
    prov,
    uid,
)


def open_with(now: datetime = T0, **overrides: Any) -> Auction:
    arguments: dict[str, Any] = {
        "auction_id": uuid4(),
        "product_id": uuid4(),
        "reserve_price": Decimal("100"),
        "min_increment": Decimal("5"),
        "currency": "EUR",
        "starts_at": T0,
        "ends_at": END,
    }
    arguments.update(overrides)
    return Auction.open(**arguments, prov=prov(uid("seller"), now))


def test_open_records_the_terms_and_the_seller() -> None:
    seller = uid("seller")
    product_id = uuid4()

    auction = Auction.open(
        auction_id=uuid4(),
        product_id=product_id,
        reserve_price=Decimal("100.5"),
        min_increment=Decimal("2.500"),
        currency="USD",
        starts_at=T0,
        ends_at=END,
        extension_window_seconds=30,
        extension_seconds=45,
        prov=prov(seller),
    )

    events = pending(auction)
    assert event_types(events) == ["Opened"]
    event = events[0]
    assert isinstance(event, Auction.Opened)
    assert event.seller_id == seller
    assert event.product_id == product_id
    assert str(event.reserve_price) == "100.50"
    assert str(event.min_increment) == "2.50"
    assert (event.extension_window_seconds, event.extension_seconds) == (30, 45)
    assert auction.status is AuctionStatus.OPEN
    assert auction.highest_amount is None
    assert auction.bid_count == 0
    assert auction.minimum_next_bid() == Decimal("100.50")


def test_open_defaults_to_a_two_minute_window_and_extension() -> None:
    auction = open_with()
    assert (auction.extension_window_seconds, auction.extension_seconds) == (120, 120)


@pytest.mark.parametrize(
    "overrides",
    [
        {"reserve_price": Decimal("0")},
        {"reserve_price": Decimal("-1")},
        {"reserve_price": Decimal("10.001")},
        {"reserve_price": Decimal("NaN")},
        {"min_increment": Decimal("0")},
        {"min_increment": Decimal("-5")},
        {"min_increment": Decimal("0.005")},
        {"min_increment": Decimal("Infinity")},
        {"currency": "eur"},
        {"currency": "EU"},
        {"currency": "EURO"},
        {"currency": "E1R"},
        {"currency": ""},
        {"ends_at": T0},
        {"ends_at": T0 - timedelta(seconds=1)},
        {"starts_at": T0 - timedelta(hours=2), "ends_at": T0 - timedelta(hours=1)},
        {"starts_at": T0 - timedelta(hours=2), "ends_at": T0},
        {"ends_at": T0 + MAX_DURATION + timedelta(seconds=1)},
        {"starts_at": T0.replace(tzinfo=None)},
        {"ends_at": END.replace(tzinfo=None)},
        {"extension_window_seconds": -1},
        {"extension_window_seconds": MAX_EXTENSION_SECONDS + 1},
        {"extension_seconds": -1},
        {"extension_seconds": MAX_EXTENSION_SECONDS + 1},
    ],
    ids=repr,
)
def test_open_refuses_invalid_terms(overrides: dict[str, Any]) -> None:
    with pytest.raises(ValidationFailed) as caught:
        open_with(**overrides)
    assert caught.value.code == "VALIDATION_FAILED"


def test_open_refuses_a_currency_with_a_trailing_newline() -> None:
    with pytest.raises(ValidationFailed):
        open_with(currency="EUR\n")


@pytest.mark.parametrize(
    "overrides",
    [
        {"ends_at": T0 + MAX_DURATION},
        {"starts_at": T0 - timedelta(days=1)},  # already running: ends in the future
        {"extension_window_seconds": 0, "extension_seconds": 0},
        {"extension_window_seconds": MAX_EXTENSION_SECONDS},
        {"extension_seconds": MAX_EXTENSION_SECONDS},
        {"ends_at": END.astimezone(timezone(timedelta(hours=5)))},
    ],
    ids=repr,
)
def test_open_accepts_terms_on_the_boundaries(overrides: dict[str, Any]) -> None:
    auction = open_with(**overrides)
    assert auction.status is AuctionStatus.OPEN
    assert event_types(pending(auction)) == ["Opened"]
