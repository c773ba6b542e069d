"""Per-bid features for the bid-anomaly model, as pure code (no I/O, stdlib only) so the
scoring agent can compute them from its running per-auction window and the training code
from synthetic histories with the very same function."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal

BID_FEATURE_NAMES: tuple[str, ...] = (
    "log_bids_last_minute",  # how busy the auction is right now
    "log_increment_ratio",  # raise over the minimum increment (a shill raises by the minimum)
    "log_seconds_since_previous",  # a shill answers others within seconds
    "bidder_share",  # the bidder's fraction of the auction's bids, this one included
    "log_prior_auctions_with_seller",  # a shill bids on one seller's auctions, again and again
    "log_prior_losses_with_seller",  # ... and never wins them
    "elapsed_fraction",  # where in the auction's time the bid falls
)
RECENT_SECONDS = 60.0


@dataclass(frozen=True)
class BidFacts:
    """What is known when a bid arrives, before it is applied."""

    amount: Decimal
    previous_highest: Decimal | None  # None for the auction's first bid
    reserve_price: Decimal
    min_increment: Decimal
    seconds_since_previous: float  # since the previous bid, or since opening for the first
    bids_last_minute: int  # bids in this auction in the RECENT_SECONDS before this one
    auction_bid_count: int  # bids before this one in this auction
    bidder_bid_count: int  # this bidder's earlier bids in this auction
    prior_auctions_with_seller: int  # earlier, closed auctions of this seller the bidder bid in
    prior_wins_with_seller: int  # ... and how many of them the bidder won
    elapsed_fraction: float  # 0 at opening, 1 at the (current) end


def bid_features(facts: BidFacts) -> tuple[float, ...]:
    """The BID_FEATURE_NAMES vector of one bid."""
    base = facts.previous_highest
    if base is None:  # the first bid is measured against the reserve, one increment below it
        base = facts.reserve_price - facts.min_increment
    ratio = float((facts.amount - base) / facts.min_increment) if facts.min_increment else 1.0
    losses = facts.prior_auctions_with_seller - facts.prior_wins_with_seller
    return (
        math.log1p(facts.bids_last_minute),
        math.log(min(max(ratio, 0.1), 1000.0)),
        math.log1p(max(facts.seconds_since_previous, 0.0)),
        (facts.bidder_bid_count + 1) / (facts.auction_bid_count + 1),
        math.log1p(facts.prior_auctions_with_seller),
        math.log1p(max(losses, 0)),
        min(max(facts.elapsed_fraction, 0.0), 1.0),
    )


@dataclass
class AuctionWindow:
    """One auction's running state, enough to build BidFacts for each bid in order. The
    bidder-seller history (earlier auctions, wins) is the caller's: it spans auctions."""

    reserve_price: Decimal
    min_increment: Decimal
    opened_at: float  # seconds, any epoch, the same as the bids'
    ends_at: float
    highest: Decimal | None = None
    last_bid_at: float | None = None
    recent: list[float] = field(default_factory=list)
    per_bidder: dict[str, int] = field(default_factory=dict)

    def facts(
        self, bidder: str, amount: Decimal, at: float, prior_auctions: int, prior_wins: int
    ) -> BidFacts:
        """The facts of a bid arriving now (does not apply it: see `apply`)."""
        recent = [t for t in self.recent if at - t <= RECENT_SECONDS]
        span = max(self.ends_at - self.opened_at, 1e-9)
        return BidFacts(
            amount=amount,
            previous_highest=self.highest,
            reserve_price=self.reserve_price,
            min_increment=self.min_increment,
            seconds_since_previous=at
            - (self.opened_at if self.last_bid_at is None else self.last_bid_at),
            bids_last_minute=len(recent),
            auction_bid_count=sum(self.per_bidder.values()),
            bidder_bid_count=self.per_bidder.get(bidder, 0),
            prior_auctions_with_seller=prior_auctions,
            prior_wins_with_seller=prior_wins,
            elapsed_fraction=(at - self.opened_at) / span,
        )

    def apply(self, bidder: str, amount: Decimal, at: float) -> None:
        """Record an accepted bid (old ones leave the recent window as time passes)."""
        self.highest = amount if self.highest is None else max(self.highest, amount)
        self.last_bid_at = at
        self.recent = [t for t in self.recent if at - t <= RECENT_SECONDS] + [at]
        self.per_bidder[bidder] = self.per_bidder.get(bidder, 0) + 1
