"""Auction: a timed English auction of one certified product, with anti-sniping."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_OID, UUID, uuid5

from eventsourcing.domain import AggregateCreated, BaseAggregate

from domain.enum_field import EnumField
from domain.errors import (
    AuctionNotOpen,
    BidAlreadyFlagged,
    BidTooLow,
    InvalidTransition,
    NotFound,
    SelfBidding,
    ValidationFailed,
)
from domain.event_base import VeraEvent
from domain.provenance import Provenance
from domain.rules import require_amount, require_currency, require_sha256_hex, require_text
from domain.statuses import AuctionStatus

DEFAULT_EXTENSION_WINDOW_SECONDS = 120
DEFAULT_EXTENSION_SECONDS = 120
MAX_EXTENSION_SECONDS = 3600
MAX_DURATION = timedelta(days=90)


def bid_id_for(auction_id: UUID, version: int) -> UUID:
    """A bid's id names its place in the auction's history, so replays rebuild the same id."""
    return uuid5(NAMESPACE_OID, f"{auction_id}/{version}")


class Auction(BaseAggregate[UUID]):
    """class_version 2 (snapshots only): the state remembers its bids' ids and which of
    them were flagged."""

    TOPIC = "Auction"
    class_version = 2
    status = EnumField(AuctionStatus)

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """A snapshot taken before auctions remembered their bid ids. Every version after
        the opening may have been a bid: an id computed for an extension's version was
        never given to anyone, so no real bid is refused and no made-up id is at risk."""
        auction_id = state["_id"]
        state["bid_ids"] = frozenset(
            bid_id_for(auction_id, version) for version in range(2, state["_version"] + 1)
        )
        state["flagged_bid_ids"] = frozenset()

    class Event(VeraEvent):
        pass

    class Opened(Event, AggregateCreated):
        """v2 made the anti-sniping window and extension configurable per auction; v1
        events were written when both were a fixed two minutes."""

        TOPIC = "AuctionOpened"
        class_version = 2
        product_id: UUID
        seller_id: str
        reserve_price: Decimal
        min_increment: Decimal
        currency: str
        starts_at: datetime
        ends_at: datetime
        extension_window_seconds: int
        extension_seconds: int

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["extension_window_seconds"] = DEFAULT_EXTENSION_WINDOW_SECONDS
            state["extension_seconds"] = DEFAULT_EXTENSION_SECONDS

    class BidPlaced(Event):
        TOPIC = "BidPlaced"
        bid_id: UUID
        bidder_id: str
        amount: Decimal
        currency: str

        def apply(self, auction: Auction) -> None:
            auction.highest_amount = self.amount
            auction.highest_bidder_id = self.bidder_id
            auction.highest_bid_id = self.bid_id
            auction.bid_count += 1
            # A new set, never add(): working copies share the committed state's values.
            auction.bid_ids = auction.bid_ids | {self.bid_id}

    class BidFlagged(Event):
        """A scoring agent (or an admin) found the bid suspicious: its score, the
        threshold it crossed, why, and the model that scored it. The bid itself stands."""

        TOPIC = "BidFlagged"
        bid_id: UUID
        score: Decimal
        threshold: Decimal
        reason: str
        model_name: str
        model_version: str
        model_sha256: str
        flagged_by: str

        def apply(self, auction: Auction) -> None:
            auction.flagged_bid_ids = auction.flagged_bid_ids | {self.bid_id}

    class Extended(Event):
        TOPIC = "AuctionExtended"
        previous_ends_at: datetime
        ends_at: datetime
        bid_id: UUID

        def apply(self, auction: Auction) -> None:
            auction.ends_at = self.ends_at

    class Closed(Event):
        """The auction ended: a winner (and the product changes hands) or no sale."""

        TOPIC = "AuctionClosed"
        winner_id: str | None
        winning_bid_id: UUID | None
        winning_amount: Decimal | None
        currency: str

        def apply(self, auction: Auction) -> None:
            auction.status = AuctionStatus.CLOSED
            auction.winner_id = self.winner_id

    class Cancelled(Event):
        TOPIC = "AuctionCancelled"
        reason: str

        def apply(self, auction: Auction) -> None:
            auction.status = AuctionStatus.CANCELLED

    def __init__(
        self,
        *,
        product_id: UUID,
        seller_id: str,
        reserve_price: Decimal,
        min_increment: Decimal,
        currency: str,
        starts_at: datetime,
        ends_at: datetime,
        extension_window_seconds: int,
        extension_seconds: int,
    ) -> None:
        self.product_id = product_id
        self.seller_id = seller_id
        self.reserve_price = reserve_price
        self.min_increment = min_increment
        self.currency = currency
        self.starts_at = starts_at
        self.ends_at = ends_at
        self.extension_window_seconds = extension_window_seconds
        self.extension_seconds = extension_seconds
        self.status = AuctionStatus.OPEN
        self.highest_amount: Decimal | None = None
        self.highest_bidder_id: str | None = None
        self.highest_bid_id: UUID | None = None
        self.bid_count = 0
        self.winner_id: str | None = None
        # Bounded by the auction's bids (one id each); FlagBid needs to know them.
        self.bid_ids: frozenset[UUID] = frozenset()
        self.flagged_bid_ids: frozenset[UUID] = frozenset()

    # -- decisions ------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        *,
        auction_id: UUID,
        product_id: UUID,
        reserve_price: Decimal,
        min_increment: Decimal,
        currency: str,
        starts_at: datetime,
        ends_at: datetime,
        extension_window_seconds: int = DEFAULT_EXTENSION_WINDOW_SECONDS,
        extension_seconds: int = DEFAULT_EXTENSION_SECONDS,
        prov: Provenance,
    ) -> Auction:
        reserve_price = require_amount("reservePrice", reserve_price)
        min_increment = require_amount("minIncrement", min_increment)
        currency = require_currency(currency)
        for name, moment in (("startsAt", starts_at), ("endsAt", ends_at)):
            if moment.tzinfo is None:
                raise ValidationFailed(f"{name} must carry a time zone", field=name)
        if ends_at <= starts_at:
            raise ValidationFailed("endsAt must be after startsAt", field="endsAt")
        if ends_at <= prov.now:
            raise ValidationFailed("endsAt must be in the future", field="endsAt")
        if ends_at - starts_at > MAX_DURATION:
            raise ValidationFailed(f"an auction lasts at most {MAX_DURATION.days} days")
        for name, seconds in (
            ("extensionWindowSeconds", extension_window_seconds),
            ("extensionSeconds", extension_seconds),
        ):
            if not 0 <= seconds <= MAX_EXTENSION_SECONDS:
                raise ValidationFailed(
                    f"{name} must be between 0 and {MAX_EXTENSION_SECONDS}", field=name
                )
        return cls._create(
            cls.Opened,
            id=auction_id,
            product_id=product_id,
            seller_id=prov.actor_id,
            reserve_price=reserve_price,
            min_increment=min_increment,
            currency=currency,
            starts_at=starts_at,
            ends_at=ends_at,
            extension_window_seconds=extension_window_seconds,
            extension_seconds=extension_seconds,
            **prov.event_fields(),
        )

    def is_open_at(self, now: datetime) -> bool:
        return self.status == AuctionStatus.OPEN and self.starts_at <= now < self.ends_at

    def minimum_next_bid(self) -> Decimal:
        if self.highest_amount is None:
            return self.reserve_price
        return self.highest_amount + self.min_increment

    def place_bid(self, *, amount: Decimal, currency: str, prov: Provenance) -> UUID:
        """Accept the bid or raise; return the new bid's id."""
        now = prov.now
        if not self.is_open_at(now):
            raise AuctionNotOpen(self._not_open_reason(now), auction_id=str(self.id))
        if prov.actor_id == self.seller_id:
            raise SelfBidding("the seller cannot bid in their own auction")
        if currency != self.currency:
            raise ValidationFailed(
                f"this auction takes bids in {self.currency}, not {currency}", field="currency"
            )
        amount = require_amount("amount", amount)
        minimum = self.minimum_next_bid()
        if amount < minimum:
            raise BidTooLow(
                f"the bid must be at least {minimum} {self.currency}",
                minimum=str(minimum),
                currency=self.currency,
            )
        bid_id = bid_id_for(self.id, self.version + 1)
        self.trigger_event(
            self.BidPlaced,
            bid_id=bid_id,
            bidder_id=prov.actor_id,
            amount=amount,
            currency=currency,
            **prov.event_fields(),
        )
        # Anti-sniping: a bid inside the closing window pushes the end out, so every
        # bidder always has the extension's time to answer the last bid.
        if self.ends_at - now <= timedelta(seconds=self.extension_window_seconds):
            new_end = now + timedelta(seconds=self.extension_seconds)
            if new_end > self.ends_at:
                self.trigger_event(
                    self.Extended,
                    previous_ends_at=self.ends_at,
                    ends_at=new_end,
                    bid_id=bid_id,
                    **prov.event_fields(),
                )
        return bid_id

    def _not_open_reason(self, now: datetime) -> str:
        if self.status != AuctionStatus.OPEN:
            return f"the auction is {self.status}"
        if now < self.starts_at:
            return f"the auction starts at {self.starts_at.isoformat()}"
        return f"the auction ended at {self.ends_at.isoformat()}"

    def check_closable(self, now: datetime) -> None:
        if self.status != AuctionStatus.OPEN:
            raise AuctionNotOpen(f"the auction is already {self.status}")
        if now < self.ends_at:
            raise InvalidTransition(
                f"the auction runs until {self.ends_at.isoformat()}", auction_id=str(self.id)
            )

    def close(self, prov: Provenance) -> None:
        self.check_closable(prov.now)
        self.trigger_event(
            self.Closed,
            winner_id=self.highest_bidder_id,
            winning_bid_id=self.highest_bid_id,
            winning_amount=self.highest_amount,
            currency=self.currency,
            **prov.event_fields(),
        )

    def check_flaggable(self, bid_id: UUID) -> None:
        if bid_id not in self.bid_ids:
            raise NotFound(
                f"auction {self.id} has no bid {bid_id}", id=str(bid_id), auction_id=str(self.id)
            )
        if bid_id in self.flagged_bid_ids:
            raise BidAlreadyFlagged(
                f"bid {bid_id} is already flagged", bid_id=str(bid_id), auction_id=str(self.id)
            )

    def flag_bid(
        self,
        *,
        bid_id: UUID,
        score: Decimal,
        threshold: Decimal,
        reason: str,
        model_name: str,
        model_version: str,
        model_sha256: str,
        prov: Provenance,
    ) -> None:
        """Flag one of this auction's bids as suspicious, once. Allowed whatever the
        auction's status: a late verdict on a closed auction's bid is still worth keeping."""
        self.check_flaggable(bid_id)
        for name, value in (("score", score), ("threshold", threshold)):
            if not isinstance(value, Decimal) or not value.is_finite():
                raise ValidationFailed(f"{name} must be a finite decimal number", field=name)
        self.trigger_event(
            self.BidFlagged,
            bid_id=bid_id,
            score=score,
            threshold=threshold,
            reason=require_text("reason", reason, max_length=500),
            model_name=require_text("modelName", model_name, max_length=100),
            model_version=require_text("modelVersion", model_version, max_length=100),
            model_sha256=require_sha256_hex("modelSha256", model_sha256),
            flagged_by=prov.actor_id,
            **prov.event_fields(),
        )

    def check_cancellable(self) -> None:
        if self.status != AuctionStatus.OPEN:
            raise AuctionNotOpen(f"the auction is already {self.status}")
        if self.bid_count > 0:
            raise InvalidTransition(
                "an auction can be cancelled only before its first bid", auction_id=str(self.id)
            )

    def cancel(self, reason: str, prov: Provenance) -> None:
        self.check_cancellable()
        reason = require_text("reason", reason, max_length=500)
        self.trigger_event(self.Cancelled, reason=reason, **prov.event_fields())
