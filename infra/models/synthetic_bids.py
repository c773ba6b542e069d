"""Synthetic auction histories: ordinary bidding, and scripted shill bidders. A shill is tied
to one seller: in that seller's auctions it answers other bids within seconds by exactly the
minimum increment, stops before the end and so never wins. Features come from the same
AuctionWindow the scoring agent uses."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from domain.bid_features import AuctionWindow, bid_features

SELLERS = 40
BIDDERS = 600
SHILL_AUCTION_SHARE = 0.3  # of the auctions of a seller that has a shill


@dataclass(frozen=True)
class SyntheticBid:
    auction: int
    bidder: str
    shill: bool
    features: tuple[float, ...]


def bid_history(auctions: int, seed: int) -> list[SyntheticBid]:
    """Every bid of `auctions` auctions run one after another (history accumulates)."""
    rng = np.random.default_rng(seed)
    shill_of = {s: f"shill-{s}" for s in range(SELLERS) if s % 3 == 0}  # a third have one
    history: dict[tuple[str, int], list[int]] = {}  # (bidder, seller) -> [auctions, wins]
    out: list[SyntheticBid] = []
    for auction in range(auctions):
        seller = int(rng.integers(0, SELLERS))
        shill = shill_of.get(seller) if rng.random() < SHILL_AUCTION_SHARE else None
        bids = _auction_bids(rng, shill)
        reserve = Decimal(int(rng.lognormal(5.5, 0.8)) + 10)
        increment = max(Decimal(1), (reserve / 50).quantize(Decimal(1)))
        duration = float(rng.uniform(600, 3600))
        window = AuctionWindow(reserve, increment, opened_at=0.0, ends_at=duration)
        price = reserve - increment
        for at_fraction, bidder, raise_by in bids:
            amount = price + increment * raise_by
            at = at_fraction * duration
            prior = history.get((bidder, seller), [0, 0])
            facts = window.facts(bidder, amount, at, prior[0], prior[1])
            out.append(SyntheticBid(auction, bidder, bidder == shill, bid_features(facts)))
            window.apply(bidder, amount, at)
            price = amount
        winner = bids[-1][1] if bids else None
        for bidder in {b for _, b, _ in bids}:
            record = history.setdefault((bidder, seller), [0, 0])
            record[0] += 1
            record[1] += bidder == winner
    return out


def _auction_bids(rng: np.random.Generator, shill: str | None) -> list[tuple[float, str, Decimal]]:
    """(time as a fraction of the duration, bidder, raise in increments), in time order."""
    participants = [f"bidder-{int(b)}" for b in rng.choice(BIDDERS, int(rng.integers(2, 9)))]
    count = int(rng.integers(3, 25))
    # Bids crowd towards the end, as in real auctions (and some snipe the last seconds).
    times = np.sort(rng.beta(2.2, 1.0, count) * 0.995)
    bids: list[tuple[float, str, Decimal]] = []
    for t in times:
        bidder = participants[int(rng.integers(0, len(participants)))]
        raise_by = Decimal(1) if rng.random() < 0.35 else Decimal(1 + int(rng.exponential(3.0)))
        bids.append((float(t), bidder, raise_by))
        if shill is not None and t < 0.85 and rng.random() < 0.7:
            # The shill's answer: seconds later, exactly one increment more.
            bids.append((float(t) + float(rng.uniform(0.001, 0.006)), shill, Decimal(1)))
    bids.sort(key=lambda b: b[0])
    if bids and bids[-1][1] == shill:  # never let the shill win
        bids.append((min(bids[-1][0] + 0.05, 0.999), participants[0], Decimal(2)))
    return bids
