"""Property tests: any sequence of bids, clock advances, closes and cancels keeps the
auction's invariants, and every decision matches a small independent model."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any
from uuid import uuid4

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from domain.auction import Auction
from domain.errors import DomainError
from domain.statuses import AuctionStatus
from tests.unit.support import T0, prov

SELLER = "seller"
BIDDERS = (SELLER, "ann", "bob", "cy")


@dataclass(frozen=True)
class Terms:
    reserve_cents: int
    increment_cents: int
    start_delay: int  # seconds from T0
    duration: int  # seconds
    window: int
    extension: int


@dataclass(frozen=True)
class Bid:
    bidder: str
    relative: bool  # amount measured from the current minimum, or absolute
    units: int
    places: int  # decimal places of the amount as written: 0..3


@dataclass(frozen=True)
class Advance:
    seconds: int


@dataclass(frozen=True)
class Close:
    pass


@dataclass(frozen=True)
class Cancel:
    pass


Step = Bid | Advance | Close | Cancel

terms_strategy = st.builds(
    Terms,
    reserve_cents=st.integers(1, 50_000),
    increment_cents=st.integers(1, 5_000),
    start_delay=st.one_of(st.just(0), st.integers(1, 60)),
    duration=st.integers(30, 1_800),
    window=st.integers(0, 600),
    extension=st.integers(0, 600),
)
bid_strategy = st.builds(
    Bid,
    bidder=st.sampled_from(BIDDERS),
    relative=st.booleans(),
    units=st.integers(-300, 3_000),
    places=st.integers(0, 3),
)
absolute_bid_strategy = st.builds(
    Bid,
    bidder=st.sampled_from(BIDDERS),
    relative=st.just(False),
    units=st.integers(-1_000, 600_000),
    places=st.integers(0, 3),
)
# Bids are the interesting step: weight them so most runs see many accepted and refused
# bids, late bids inside the window, and a close or a cancel now and then.
step_strategy: st.SearchStrategy[Step] = st.integers(0, 15).flatmap(
    lambda k: (
        bid_strategy
        if k < 9
        else absolute_bid_strategy
        if k < 10
        else st.builds(Advance, seconds=st.one_of(st.integers(0, 60), st.integers(61, 900)))
        if k < 14
        else st.just(Close())
        if k < 15
        else st.just(Cancel())
    )
)
steps_strategy = st.lists(step_strategy, min_size=3, max_size=40)


class Model:
    """What the auction should decide, written independently of the aggregate."""

    def __init__(self, auction: Auction) -> None:
        self.reserve = auction.reserve_price
        self.increment = auction.min_increment
        self.starts_at = auction.starts_at
        self.ends_at = auction.ends_at
        self.window = timedelta(seconds=auction.extension_window_seconds)
        self.extension = timedelta(seconds=auction.extension_seconds)
        self.status = "OPEN"
        self.accepted: list[tuple[str, Decimal]] = []

    def minimum(self) -> Decimal:
        return self.reserve if not self.accepted else self.accepted[-1][1] + self.increment

    def bid_outcome(self, bidder: str, amount: Decimal, now: datetime) -> str:
        if self.status != "OPEN" or not self.starts_at <= now < self.ends_at:
            return "AUCTION_NOT_OPEN"
        if bidder == SELLER:
            return "SELF_BIDDING"
        if amount <= 0 or amount != amount.quantize(Decimal("0.01")):
            return "VALIDATION_FAILED"
        if amount < self.minimum():
            return "BID_TOO_LOW"
        return "ACCEPTED"

    def accept(self, bidder: str, amount: Decimal, now: datetime) -> None:
        self.accepted.append((bidder, amount))
        if self.ends_at - now <= self.window:
            self.ends_at = max(self.ends_at, now + self.extension)

    def close_outcome(self, now: datetime) -> str:
        if self.status != "OPEN":
            return "AUCTION_NOT_OPEN"
        return "VALIDATION_FAILED" if now < self.ends_at else "ACCEPTED"

    def cancel_outcome(self) -> str:
        if self.status != "OPEN":
            return "AUCTION_NOT_OPEN"
        return "VALIDATION_FAILED" if self.accepted else "ACCEPTED"


def amount_of(step: Bid, model: Model) -> Decimal:
    written = Decimal(step.units).scaleb(-step.places)
    return model.minimum() + written if step.relative else written


def attempt(decide: Callable[..., object], **arguments: Any) -> str:
    """Run a decision; 'ACCEPTED' or the refusal's code."""
    try:
        decide(**arguments)
    except DomainError as error:
        event(f"refused: {error.code}")
        return error.code
    event(f"accepted: {decide.__name__}")
    return "ACCEPTED"


def check_invariants(auction: Auction, model: Model, ends_at_before: datetime) -> None:
    amounts = [amount for _, amount in model.accepted]
    for earlier, later in pairwise(amounts):
        assert later >= earlier + auction.min_increment
        assert later > earlier
    if amounts:
        assert amounts[0] >= auction.reserve_price
        assert auction.highest_amount == max(amounts)
        assert auction.highest_bidder_id == model.accepted[-1][0]
    else:
        assert auction.highest_amount is None
        assert auction.highest_bidder_id is None
    assert SELLER not in {bidder for bidder, _ in model.accepted}
    assert auction.bid_count == len(model.accepted)
    assert auction.ends_at >= ends_at_before
    assert auction.ends_at == model.ends_at
    assert auction.status.value == model.status


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(terms=terms_strategy, steps=steps_strategy)
def test_any_command_sequence_keeps_the_auction_invariants(terms: Terms, steps: list[Step]) -> None:
    starts_at = T0 + timedelta(seconds=terms.start_delay)
    auction = Auction.open(
        auction_id=uuid4(),
        product_id=uuid4(),
        reserve_price=Decimal(terms.reserve_cents).scaleb(-2),
        min_increment=Decimal(terms.increment_cents).scaleb(-2),
        currency="EUR",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(seconds=terms.duration),
        extension_window_seconds=terms.window,
        extension_seconds=terms.extension,
        prov=prov(SELLER, T0),
    )
    auction.collect_events()
    model = Model(auction)
    now = T0

    for step in steps:
        ends_at_before = auction.ends_at
        version_before = auction.version
        if isinstance(step, Advance):
            now += timedelta(seconds=step.seconds)
            continue
        p = prov(step.bidder if isinstance(step, Bid) else SELLER, now)
        if isinstance(step, Bid):
            amount = amount_of(step, model)
            expected = model.bid_outcome(step.bidder, amount, now)
            outcome = attempt(auction.place_bid, amount=amount, currency="EUR", prov=p)
            assert outcome == expected, (step, amount, now)
            if outcome == "ACCEPTED":
                model.accept(step.bidder, amount.quantize(Decimal("0.01")), now)
        elif isinstance(step, Close):
            expected = model.close_outcome(now)
            assert attempt(auction.close, prov=p) == expected
            if expected == "ACCEPTED":
                model.status = "CLOSED"
                winner = model.accepted[-1][0] if model.accepted else None
                assert auction.winner_id == winner
        else:
            expected = model.cancel_outcome()
            assert attempt(auction.cancel, reason="changed my mind", prov=p) == expected
            if expected == "ACCEPTED":
                model.status = "CANCELLED"

        events = auction.collect_events()
        if any(isinstance(e, Auction.Extended) for e in events):
            event("extended")
        if expected == "ACCEPTED":
            assert len(events) == auction.version - version_before >= 1
        else:
            # A refused command changes nothing at all.
            assert events == []
            assert auction.version == version_before
        check_invariants(auction, model, ends_at_before)

    if model.status != "OPEN":
        assert auction.status in (AuctionStatus.CLOSED, AuctionStatus.CANCELLED)
