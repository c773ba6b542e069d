"""Auction: how it finishes, closed after the end or cancelled before the first bid."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from domain.auction import Auction
from domain.errors import (
    AuctionNotOpen,
    InvalidTransition,
)
from domain.statuses import AuctionStatus
from tests.unit.support import (
    END,
    bid,
    event_types,
    opened_auction,
    pending,
    prov,
    saved,
    uid,
)

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
