"""Auction: anti-sniping, a late bid extends the end."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from domain.auction import Auction
from tests.unit.support import (
    END,
    AuctionTerms,
    bid,
    event_types,
    opened_auction,
    pending,
    saved,
)


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
