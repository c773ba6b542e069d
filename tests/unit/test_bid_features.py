"""The pure per-bid features the scoring agent computes from its running window."""

from __future__ import annotations

import math
from decimal import Decimal

from domain.bid_features import BID_FEATURE_NAMES, AuctionWindow, bid_features


def window() -> AuctionWindow:
    return AuctionWindow(Decimal(100), Decimal(5), opened_at=0.0, ends_at=1000.0)


def test_the_first_bid_at_the_reserve_raises_by_one_increment() -> None:
    features = bid_features(window().facts("a", Decimal(100), 100.0, 0, 0))
    named = dict(zip(BID_FEATURE_NAMES, features, strict=True))
    assert named["log_increment_ratio"] == 0.0  # log(1)
    assert named["log_seconds_since_previous"] == math.log1p(100.0)
    assert named["bidder_share"] == 1.0
    assert named["elapsed_fraction"] == 0.1


def test_the_window_tracks_recent_bids_shares_and_history() -> None:
    auction = window()
    auction.apply("a", Decimal(100), 10.0)
    auction.apply("b", Decimal(110), 20.0)
    auction.apply("a", Decimal(120), 200.0)
    facts = auction.facts("b", Decimal(125), 203.0, prior_auctions=7, prior_wins=0)
    assert facts.previous_highest == Decimal(120)
    assert facts.bids_last_minute == 1  # the bids at 10 s and 20 s are over a minute old
    assert facts.auction_bid_count == 3
    assert facts.bidder_bid_count == 1
    assert facts.seconds_since_previous == 3.0
    named = dict(zip(BID_FEATURE_NAMES, bid_features(facts), strict=True))
    assert named["log_increment_ratio"] == 0.0  # exactly the minimum increment
    assert named["bidder_share"] == 0.5
    assert named["log_prior_losses_with_seller"] == math.log1p(7)
