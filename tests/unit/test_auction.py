"""Auction: opening terms, bids, anti-sniping extensions, close and cancel."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest

from domain.auction import MAX_DURATION, MAX_EXTENSION_SECONDS, Auction, bid_id_for
from domain.errors import (
    AuctionNotOpen,
    BidTooLow,
    DomainError,
    InvalidTransition,
    SelfBidding,
    ValidationFailed,
)
from domain.statuses import AuctionStatus
from tests.unit.support import (
    T0,
    AuctionTerms,
    event_types,
    opened_auction,
    pending,
    prov,
    saved,
    uid,
)

END = T0 + timedelta(hours=1)


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


def bid(auction: Auction, amount: str, bidder: str | None = None, **kw: Any) -> Any:
    now: datetime = kw.pop("now", T0 + timedelta(minutes=1))
    currency: str = kw.pop("currency", auction.currency)
    return auction.place_bid(
        amount=Decimal(amount), currency=currency, prov=prov(bidder or uid("bidder"), now)
    )


def refused(auction: Auction, error: type[DomainError], amount: str, **kw: Any) -> DomainError:
    """Place a bid that must be refused; check that it changed nothing."""
    state = (auction.version, auction.highest_amount, auction.bid_count, auction.ends_at)
    with pytest.raises(error) as caught:
        bid(auction, amount, **kw)
    assert pending(auction) == []
    assert (auction.version, auction.highest_amount, auction.bid_count, auction.ends_at) == state
    return caught.value


# -- opening ---------------------------------------------------------------------------------


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


# -- bids ------------------------------------------------------------------------------------


def test_the_first_bid_at_the_reserve_is_accepted() -> None:
    auction = opened_auction()
    bidder = uid("bidder")

    bid_id = bid(auction, "100", bidder)

    events = pending(auction)
    assert event_types(events) == ["BidPlaced"]
    event = events[0]
    assert isinstance(event, Auction.BidPlaced)
    assert event.bid_id == bid_id == bid_id_for(auction.id, 2)
    assert (event.bidder_id, event.amount, event.currency) == (bidder, Decimal("100"), "EUR")
    assert str(event.amount) == "100.00"
    assert auction.highest_amount == Decimal("100.00")
    assert auction.highest_bidder_id == bidder
    assert auction.highest_bid_id == bid_id
    assert auction.bid_count == 1


def test_the_first_bid_below_the_reserve_is_too_low() -> None:
    auction = opened_auction()
    error = refused(auction, BidTooLow, "99.99")
    assert error.code == "BID_TOO_LOW"
    assert error.details["minimum"] == "100.00"
    assert error.details["currency"] == "EUR"


def test_the_next_bid_needs_the_highest_plus_the_increment() -> None:
    auction = opened_auction()
    bid(auction, "120")
    saved(auction)

    error = refused(auction, BidTooLow, "124.99")
    assert error.details["minimum"] == "125.00"

    bid(auction, "125")
    assert auction.highest_amount == Decimal("125")
    assert auction.bid_count == 2
    assert auction.minimum_next_bid() == Decimal("130.00")


def test_an_equal_bid_is_too_low() -> None:
    auction = opened_auction(terms=AuctionTerms(min_increment=Decimal("0.01")))
    bid(auction, "150")
    saved(auction)
    refused(auction, BidTooLow, "150")


def test_twelve_point_five_hundred_is_twelve_fifty_but_twelve_point_five_oh_five_is_refused() -> (
    None
):
    auction = opened_auction(terms=AuctionTerms(reserve_price=Decimal("10")))
    bid(auction, "12.500")
    assert auction.highest_amount == Decimal("12.50")
    assert str(auction.highest_amount) == "12.50"
    saved(auction)
    error = refused(auction, ValidationFailed, "20.505")
    assert error.code == "VALIDATION_FAILED"
    assert error.details["field"] == "amount"


@pytest.mark.parametrize("amount", ["0", "-150", "NaN", "Infinity", "1E+13"])
def test_bids_that_are_not_positive_finite_amounts_are_refused(amount: str) -> None:
    auction = opened_auction()
    error = refused(auction, ValidationFailed, amount)
    assert error.code == "VALIDATION_FAILED"


def test_the_seller_cannot_bid() -> None:
    seller = uid("seller")
    auction = opened_auction(seller)
    error = refused(auction, SelfBidding, "500", bidder=seller)
    assert error.code == "SELF_BIDDING"


def test_a_bid_in_another_currency_is_refused() -> None:
    auction = opened_auction()
    error = refused(auction, ValidationFailed, "500", currency="USD")
    assert error.code == "VALIDATION_FAILED"
    assert error.details["field"] == "currency"


def test_bids_before_the_start_are_refused() -> None:
    terms = AuctionTerms(starts_at=T0 + timedelta(minutes=10))
    auction = opened_auction(terms=terms)
    error = refused(auction, AuctionNotOpen, "500", now=terms.starts_at - timedelta(microseconds=1))
    assert error.code == "AUCTION_NOT_OPEN"
    bid(auction, "500", now=terms.starts_at)
    assert auction.bid_count == 1


def test_bids_at_or_after_the_end_are_refused() -> None:
    auction = opened_auction()
    for now in (END, END + timedelta(days=1)):
        error = refused(auction, AuctionNotOpen, "500", now=now)
        assert error.code == "AUCTION_NOT_OPEN"


@pytest.mark.parametrize("finish", ["close", "cancel"])
def test_bids_after_close_or_cancel_are_refused(finish: str) -> None:
    auction = opened_auction()
    if finish == "close":
        auction.close(prov("system", END))
    else:
        auction.cancel("changed my mind", prov(auction.seller_id))
    saved(auction)
    # Even a moment inside the original schedule: the status alone shuts the auction.
    error = refused(auction, AuctionNotOpen, "500", now=T0 + timedelta(minutes=5))
    assert error.code == "AUCTION_NOT_OPEN"


def test_refusals_are_checked_in_order_not_open_then_self_bid_then_currency() -> None:
    seller = uid("seller")
    auction = opened_auction(seller)
    # All three are wrong: the auction ended, the seller bids, the currency differs.
    refused(auction, AuctionNotOpen, "1", bidder=seller, currency="USD", now=END)
    refused(auction, SelfBidding, "1", bidder=seller, currency="USD")


# -- anti-sniping ----------------------------------------------------------------------------


def test_a_bid_inside_the_window_extends_the_end_to_now_plus_the_extension() -> None:
    auction = opened_auction()
    now = END - timedelta(seconds=30)

    bid_id = bid(auction, "100", now=now)

    events = pending(auction)
    assert event_types(events) == ["BidPlaced", "Extended"]
    extended = events[1]
    assert isinstance(extended, Auction.Extended)
    assert extended.previous_ends_at == END
    assert extended.ends_at == now + timedelta(seconds=120)
    assert extended.bid_id == bid_id
    assert auction.ends_at == now + timedelta(seconds=120)
    assert auction.version == 3


def test_a_bid_exactly_at_the_window_boundary_is_inside_the_window() -> None:
    auction = opened_auction(
        terms=AuctionTerms(extension_window_seconds=120, extension_seconds=180)
    )
    now = END - timedelta(seconds=120)
    bid(auction, "100", now=now)
    assert event_types(pending(auction)) == ["BidPlaced", "Extended"]
    assert auction.ends_at == now + timedelta(seconds=180)


def test_an_extension_that_would_not_move_the_end_is_not_recorded() -> None:
    auction = opened_auction()
    now = END - timedelta(seconds=120)
    bid(auction, "100", now=now)
    # now + 120 s is exactly the scheduled end: nothing to extend.
    assert event_types(pending(auction)) == ["BidPlaced"]
    assert auction.ends_at == END
    saved(auction)
    later = now + timedelta(seconds=1)
    bid(auction, "105", now=later)
    assert auction.ends_at == later + timedelta(seconds=120)


def test_a_bid_outside_the_window_does_not_extend() -> None:
    auction = opened_auction()
    bid(auction, "100", now=END - timedelta(seconds=121))
    assert event_types(pending(auction)) == ["BidPlaced"]
    assert auction.ends_at == END


def test_the_window_and_extension_are_configured_per_auction() -> None:
    auction = opened_auction(
        terms=AuctionTerms(extension_window_seconds=600, extension_seconds=900)
    )
    now = END - timedelta(seconds=599)
    bid(auction, "100", now=now)
    assert auction.ends_at == now + timedelta(seconds=900)


def test_an_extension_never_moves_the_end_earlier() -> None:
    # A wide window with a short extension: the bid is inside the window, but
    # now + extension is before the scheduled end, so nothing changes.
    auction = opened_auction(terms=AuctionTerms(extension_window_seconds=600, extension_seconds=60))
    bid(auction, "100", now=END - timedelta(seconds=300))
    assert event_types(pending(auction)) == ["BidPlaced"]
    assert auction.ends_at == END


def test_a_zero_window_never_extends() -> None:
    auction = opened_auction(terms=AuctionTerms(extension_window_seconds=0))
    bid(auction, "100", now=END - timedelta(microseconds=1))
    assert event_types(pending(auction)) == ["BidPlaced"]
    assert auction.ends_at == END


def test_repeated_late_bids_keep_extending() -> None:
    auction = opened_auction()
    now = END - timedelta(seconds=10)
    amount = Decimal("100")
    for _ in range(5):
        bid(auction, str(amount), now=now)
        assert auction.ends_at == now + timedelta(seconds=120)
        saved(auction)
        now = auction.ends_at - timedelta(seconds=1)
        amount += 5
    assert auction.bid_count == 5
    # Bids are still taken after the originally scheduled end.
    assert now > END


# -- close -----------------------------------------------------------------------------------


def test_close_before_the_end_is_refused() -> None:
    auction = opened_auction()
    with pytest.raises(InvalidTransition) as caught:
        auction.close(prov("system", END - timedelta(microseconds=1)))
    assert caught.value.code == "VALIDATION_FAILED"
    assert pending(auction) == []
    assert auction.status is AuctionStatus.OPEN


def test_close_before_the_extended_end_is_refused() -> None:
    auction = opened_auction()
    bid(auction, "100", now=END - timedelta(seconds=10))
    saved(auction)
    with pytest.raises(InvalidTransition):
        auction.close(prov("system", END))
    assert pending(auction) == []


def test_close_with_bids_records_the_highest_bidder_as_winner() -> None:
    auction = opened_auction()
    bid(auction, "100")
    winner = uid("bidder")
    winning_bid = bid(auction, "140", winner)
    saved(auction)

    auction.close(prov("system", END))

    events = pending(auction)
    assert event_types(events) == ["Closed"]
    closed = events[0]
    assert isinstance(closed, Auction.Closed)
    assert (closed.winner_id, closed.winning_bid_id) == (winner, winning_bid)
    assert (closed.winning_amount, closed.currency) == (Decimal("140"), "EUR")
    assert auction.status is AuctionStatus.CLOSED
    assert auction.winner_id == winner


def test_close_without_bids_records_no_sale() -> None:
    auction = opened_auction()
    auction.close(prov("system", END + timedelta(hours=3)))
    closed = pending(auction)[0]
    assert isinstance(closed, Auction.Closed)
    assert (closed.winner_id, closed.winning_bid_id, closed.winning_amount) == (None, None, None)
    assert auction.status is AuctionStatus.CLOSED
    assert auction.winner_id is None


@pytest.mark.parametrize("finish", ["close", "cancel"])
def test_a_finished_auction_cannot_be_closed_again(finish: str) -> None:
    auction = opened_auction()
    if finish == "close":
        auction.close(prov("system", END))
    else:
        auction.cancel("withdrawn", prov(auction.seller_id))
    saved(auction)
    with pytest.raises(AuctionNotOpen) as caught:
        auction.close(prov("system", END + timedelta(hours=1)))
    assert caught.value.code == "AUCTION_NOT_OPEN"
    assert pending(auction) == []


# -- cancel ----------------------------------------------------------------------------------


def test_cancel_before_the_first_bid() -> None:
    auction = opened_auction()
    auction.cancel("withdrawn", prov(auction.seller_id))
    events = pending(auction)
    assert event_types(events) == ["Cancelled"]
    assert isinstance(events[0], Auction.Cancelled)
    assert events[0].reason == "withdrawn"
    assert auction.status is AuctionStatus.CANCELLED


def test_cancel_after_the_first_bid_is_refused() -> None:
    auction = opened_auction()
    bid(auction, "100")
    saved(auction)
    with pytest.raises(InvalidTransition) as caught:
        auction.cancel("withdrawn", prov(auction.seller_id))
    assert caught.value.code == "VALIDATION_FAILED"
    assert pending(auction) == []
    assert auction.status is AuctionStatus.OPEN


@pytest.mark.parametrize("finish", ["close", "cancel"])
def test_a_finished_auction_cannot_be_cancelled(finish: str) -> None:
    auction = opened_auction()
    if finish == "close":
        auction.close(prov("system", END))
    else:
        auction.cancel("withdrawn", prov(auction.seller_id))
    saved(auction)
    with pytest.raises(AuctionNotOpen):
        auction.cancel("again", prov(auction.seller_id))
    assert pending(auction) == []


def test_is_open_at_covers_start_inclusive_and_end_exclusive() -> None:
    terms = replace(AuctionTerms(), starts_at=T0 + timedelta(minutes=1))
    auction = opened_auction(terms=terms)
    assert not auction.is_open_at(terms.starts_at - timedelta(microseconds=1))
    assert auction.is_open_at(terms.starts_at)
    assert auction.is_open_at(terms.ends_at - timedelta(microseconds=1))
    assert not auction.is_open_at(terms.ends_at)
