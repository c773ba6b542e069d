"""Auction: bids (reserve, increment, amounts, currency, self-bidding) and the bidding
window."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from domain.auction import Auction, bid_id_for
from domain.errors import (
    AuctionNotOpen,
    BidTooLow,
    DomainError,
    SelfBidding,
    ValidationFailed,
)
from tests.unit.support import (
    END,
    T0,
    AuctionTerms,
    bid,
    event_types,
    opened_auction,
    pending,
    prov,
    saved,
    uid,
)


def refused(auction: Auction, error: type[DomainError], amount: str, **kw: Any) -> DomainError:
    """Place a bid that must be refused; check that it changed nothing."""
    state = (auction.version, auction.highest_amount, auction.bid_count, auction.ends_at)
    with pytest.raises(error) as caught:
        bid(auction, amount, **kw)
    assert pending(auction) == []
    assert (auction.version, auction.highest_amount, auction.bid_count, auction.ends_at) == state
    return caught.value


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


# -- the bidding window ----------------------------------------------------------------------


def test_is_open_at_covers_start_inclusive_and_end_exclusive() -> None:
    terms = replace(AuctionTerms(), starts_at=T0 + timedelta(minutes=1))
    auction = opened_auction(terms=terms)
    assert not auction.is_open_at(terms.starts_at - timedelta(microseconds=1))
    assert auction.is_open_at(terms.starts_at)
    assert auction.is_open_at(terms.ends_at - timedelta(microseconds=1))
    assert not auction.is_open_at(terms.ends_at)
