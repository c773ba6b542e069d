"""The per-auction report, folded from the auction's own events. Pure.

Why the event store and not the read model: an aggregate's history never changes, so the
report of "the auction's events up to position P" is the same whenever it is built (the
job records P; a re-run reads exactly those events again). The read-model rows are the
current state only (a bid's flag carries no time, an extension leaves no trace but the new
end), lag behind the store, and are dropped and refilled by `projections rebuild`.

The report covers the history as it stood when the job first ran: a bid flagged after that
is in the daily report of the day it was flagged."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from domain.envelope import upcast_envelope
from projections.read_rows import Envelope
from streams.reports.rendering import FORMAT_VERSION, Cell, RenderedReport, decimal_text, render
from streams.reports.requests import AuctionReportRequest, ReportRejected

OPENED, BID, FLAGGED, EXTENDED = "AuctionOpened", "BidPlaced", "BidFlagged", "AuctionExtended"
CLOSED, CANCELLED = "AuctionClosed", "AuctionCancelled"

CSV_HEADER = (
    "bid_id",
    "bidder_id",
    "amount",
    "currency",
    "placed_at",
    "winning",
    "extended_ends_at",
    "flagged",
    "flag_score",
    "flag_reason",
)


class AuctionNotFound(ReportRejected):
    """No auction has this id (no events, or the aggregate is not an auction)."""


class AuctionNotEnded(ReportRejected):
    """The auction is still open: its report is made when it closes."""


@dataclass
class _Bid:
    bid_id: str
    bidder_id: str
    amount: Decimal
    currency: str
    placed_at: str
    auction_version: int
    position: int
    extended_ends_at: str | None = None
    flag: dict[str, Any] | None = None

    def document(self, winning_bid_id: str | None) -> dict[str, Any]:
        flag = self.flag or {}
        return {
            "bid_id": self.bid_id,
            "bidder_id": self.bidder_id,
            "amount": decimal_text(self.amount),
            "currency": self.currency,
            "placed_at": self.placed_at,
            "auction_version": self.auction_version,
            "position": self.position,
            "winning": self.bid_id == winning_bid_id,
            "extended_ends_at": self.extended_ends_at,
            "flagged": self.flag is not None,
            "flag_score": flag.get("score"),
            "flag_threshold": flag.get("threshold"),
            "flag_reason": flag.get("reason"),
            "flagged_by": flag.get("flagged_by"),
            "flagged_at": flag.get("flagged_at"),
        }

    def row(self, winning_bid_id: str | None) -> list[Cell]:
        flag = self.flag or {}
        return [
            self.bid_id,
            self.bidder_id,
            self.amount,
            self.currency,
            self.placed_at,
            self.bid_id == winning_bid_id,
            self.extended_ends_at,
            self.flag is not None,
            flag.get("score"),
            flag.get("reason"),
        ]


@dataclass
class _Fold:
    opened: Envelope
    bids: dict[str, _Bid] = field(default_factory=dict)
    extensions: list[dict[str, Any]] = field(default_factory=list)
    ended: Envelope | None = None

    def apply(self, envelope: Envelope) -> None:
        kind, data = envelope["type"], envelope["data"]
        if kind == BID:
            bid_id = str(data["bid_id"])
            self.bids[bid_id] = _Bid(
                bid_id=bid_id,
                bidder_id=str(data["bidder_id"]),
                amount=Decimal(data["amount"]),
                currency=str(data["currency"]),
                placed_at=str(envelope["occurred_at"]),
                auction_version=int(envelope["aggregate_version"]),
                position=int(envelope["position"]),
            )
        elif kind == FLAGGED:
            self.bids[str(data["bid_id"])].flag = {
                "score": decimal_text(Decimal(data["score"])),
                "threshold": decimal_text(Decimal(data["threshold"])),
                "reason": str(data["reason"]),
                "flagged_by": str(data["flagged_by"]),
                "flagged_at": str(envelope["occurred_at"]),
            }
        elif kind == EXTENDED:
            bid_id = str(data["bid_id"])
            self.extensions.append(
                {
                    "bid_id": bid_id,
                    "previous_ends_at": str(data["previous_ends_at"]),
                    "ends_at": str(data["ends_at"]),
                    "at": str(envelope["occurred_at"]),
                }
            )
            self.bids[bid_id].extended_ends_at = str(data["ends_at"])
        elif kind in (CLOSED, CANCELLED):
            self.ended = envelope


def _fold(request: AuctionReportRequest, envelopes: list[Envelope]) -> _Fold:
    """The auction's events folded; AuctionNotFound or AuctionNotEnded if no report can be
    made of them."""
    current = [upcast_envelope(e) for e in envelopes]
    if not current or current[0]["type"] != OPENED:
        raise AuctionNotFound(f"no auction {request.auction_id}")
    fold = _Fold(current[0])
    for envelope in current[1:]:
        fold.apply(envelope)
    if fold.ended is None:
        raise AuctionNotEnded(
            f"auction {request.auction_id} is still open: its report is made when it closes"
        )
    return fold


def auction_report(request: AuctionReportRequest, envelopes: list[Envelope]) -> RenderedReport:
    """The report of an ended (closed or cancelled) auction from its events, oldest first."""
    fold = _fold(request, envelopes)
    assert fold.ended is not None
    opened, ended = fold.opened, fold.ended
    data, end = opened["data"], ended["data"]
    closed = ended["type"] == CLOSED
    winner = end.get("winner_id") if closed else None
    winning_bid_id = str(end["winning_bid_id"]) if winner else None
    reserve = Decimal(data["reserve_price"])
    bids = list(fold.bids.values())
    highest = max((bid.amount for bid in bids), default=None)
    summary = {
        "auction_id": str(opened["aggregate_id"]),
        "product_id": str(data["product_id"]),
        "seller_id": str(data["seller_id"]),
        "currency": str(data["currency"]),
        "reserve_price": decimal_text(reserve),
        "min_increment": decimal_text(Decimal(data["min_increment"])),
        "starts_at": str(data["starts_at"]),
        "scheduled_ends_at": str(data["ends_at"]),
        "ends_at": fold.extensions[-1]["ends_at"] if fold.extensions else str(data["ends_at"]),
        "opened_at": str(opened["occurred_at"]),
        "ended_at": str(ended["occurred_at"]),
        "status": "CLOSED" if closed else "CANCELLED",
        "outcome": ("SOLD" if winner else "NOT_SOLD") if closed else "CANCELLED",
        "winner_id": winner,
        "winning_bid_id": winning_bid_id,
        "final_price": decimal_text(Decimal(end["winning_amount"])) if winner else None,
        "reserve_met": highest is not None and highest >= reserve,
        "cancel_reason": None if closed else str(end.get("reason", "")),
        "bid_count": len(bids),
        "bidder_count": len({bid.bidder_id for bid in bids}),
        "flagged_bid_count": sum(1 for bid in bids if bid.flag is not None),
        "extension_count": len(fold.extensions),
    }
    document = {
        "report": "auction",
        "id": request.report_id,
        "format_version": FORMAT_VERSION,
        "as_of_position": int(envelopes[-1]["position"]),
        "as_of_version": int(envelopes[-1]["aggregate_version"]),
        "auction": summary,
        "extensions": fold.extensions,
        "bids": [bid.document(winning_bid_id) for bid in bids],
    }
    return render(document, CSV_HEADER, [bid.row(winning_bid_id) for bid in bids])
