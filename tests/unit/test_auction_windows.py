"""Per-auction bid windows folded from auction envelopes (streams/bid_scoring/auction_windows):
what the bid flagger knows of an auction when a bid arrives, incrementally or rebuilt."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from domain.bid_features import RECENT_SECONDS
from streams.bid_scoring.auction_windows import WatchedAuction, epoch_seconds, fold, opened, rebuilt

AUCTION = "9d3c1a7e-0000-4000-8000-000000000001"
T0 = epoch_seconds("2026-11-27T10:00:00Z")


def at(seconds: float) -> str:
    whole, fraction = divmod(seconds, 1)
    minutes, secs = divmod(int(whole), 60)
    return f"2026-11-27T10:{minutes:02d}:{secs:02d}.{round(fraction * 1e6):06d}Z"


def envelope(version: int, kind: str, data: dict[str, Any], seconds: float) -> dict[str, Any]:
    return {
        "type": kind,
        "aggregate_id": AUCTION,
        "aggregate_version": version,
        "occurred_at": at(seconds),
        "data": data,
    }


def opening() -> dict[str, Any]:
    return envelope(
        1,
        "AuctionOpened",
        {
            "seller_id": "seller-1",
            "reserve_price": "100.00",
            "min_increment": "5.00",
            "starts_at": at(0),
            "ends_at": at(600),
        },
        0,
    )


def bid(version: int, bidder: str, amount: str, seconds: float) -> dict[str, Any]:
    return envelope(version, "BidPlaced", {"bidder_id": bidder, "amount": amount}, seconds)


HISTORY = [
    opening(),
    bid(2, "ann", "100.00", 30),
    bid(3, "bob", "110.00", 50),
    bid(4, "ann", "120.00", 55),
    envelope(5, "AuctionExtended", {"ends_at": at(900)}, 56),
    bid(6, "cat", "130.00", 200),
]


def test_an_opening_starts_an_empty_window_with_the_auction_terms() -> None:
    watched = opened(opening())

    assert (watched.seller_id, watched.version) == ("seller-1", 1)
    window = watched.window
    assert (window.reserve_price, window.min_increment) == (Decimal("100.00"), Decimal("5.00"))
    assert (window.opened_at, window.ends_at) == (T0, T0 + 600)
    assert window.highest is None
    assert window.per_bidder == {}


def test_bids_and_extensions_fold_in_order() -> None:
    watched = opened(HISTORY[0])
    for event in HISTORY[1:]:
        fold(watched, event)

    window = watched.window
    assert watched.version == 6
    assert window.highest == Decimal("130.00")
    assert window.per_bidder == {"ann": 2, "bob": 1, "cat": 1}
    assert window.last_bid_at == T0 + 200
    assert window.ends_at == T0 + 900  # the extension moved the end
    # The bids at 30-55 s are more than RECENT_SECONDS before the one at 200 s.
    assert RECENT_SECONDS < 200 - 55
    assert window.recent == [T0 + 200]


def test_the_facts_of_a_bid_are_what_came_before_it() -> None:
    watched = opened(HISTORY[0])
    for event in HISTORY[1:4]:
        fold(watched, event)

    facts = watched.window.facts("bob", Decimal("125.00"), T0 + 60, prior_auctions=2, prior_wins=1)

    assert facts.previous_highest == Decimal("120.00")
    assert facts.seconds_since_previous == 5  # since ann's bid at 55 s
    assert facts.auction_bid_count == 3
    assert facts.bidder_bid_count == 1
    assert facts.bids_last_minute == 3
    assert (facts.prior_auctions_with_seller, facts.prior_wins_with_seller) == (2, 1)
    assert facts.elapsed_fraction == 60 / 600


def test_a_window_rebuilt_from_history_equals_the_one_folded_live() -> None:
    live = opened(HISTORY[0])
    for event in HISTORY[1:]:
        fold(live, event)

    again = rebuilt(HISTORY)

    assert isinstance(again, WatchedAuction)
    assert again == live


def test_events_that_do_not_concern_bids_only_advance_the_version() -> None:
    watched = opened(HISTORY[0])
    before = (watched.window.highest, dict(watched.window.per_bidder), watched.window.ends_at)

    fold(watched, envelope(2, "BidFlagged", {"bid_id": "x", "score": "0.9"}, 10))

    assert watched.version == 2
    assert (watched.window.highest, watched.window.per_bidder, watched.window.ends_at) == before


def test_a_history_that_does_not_start_with_the_opening_rebuilds_nothing() -> None:
    assert rebuilt([]) is None
    assert rebuilt(HISTORY[1:]) is None
