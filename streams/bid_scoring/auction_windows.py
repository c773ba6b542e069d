"""Per-auction bid windows folded from auction envelopes (pure: no I/O). The flagger feeds
it in order and asks, for each BidPlaced, for the bid's facts before applying it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from domain.bid_features import AuctionWindow

OPENED = "AuctionOpened"
BID_PLACED = "BidPlaced"
EXTENDED = "AuctionExtended"
ENDED = ("AuctionClosed", "AuctionCancelled")


@dataclass
class WatchedAuction:
    seller_id: str
    window: AuctionWindow
    version: int  # the last aggregate version folded in


def epoch_seconds(text: str) -> float:
    return datetime.fromisoformat(str(text).replace("Z", "+00:00")).timestamp()


def opened(envelope: dict[str, Any]) -> WatchedAuction:
    data = envelope["data"]
    window = AuctionWindow(
        reserve_price=Decimal(str(data["reserve_price"])),
        min_increment=Decimal(str(data["min_increment"])),
        opened_at=epoch_seconds(data["starts_at"]),
        ends_at=epoch_seconds(data["ends_at"]),
    )
    return WatchedAuction(str(data["seller_id"]), window, int(envelope["aggregate_version"]))


def fold(watched: WatchedAuction, envelope: dict[str, Any]) -> None:
    """Apply one (upcast) envelope of the auction, the next version after `watched`."""
    data = envelope["data"]
    if envelope["type"] == BID_PLACED:
        watched.window.apply(
            str(data["bidder_id"]),
            Decimal(str(data["amount"])),
            epoch_seconds(envelope["occurred_at"]),
        )
    elif envelope["type"] == EXTENDED:
        watched.window.ends_at = epoch_seconds(data["ends_at"])
    watched.version = int(envelope["aggregate_version"])


def rebuilt(history: list[dict[str, Any]]) -> WatchedAuction | None:
    """The window of an auction from its (upcast) history, versions 1..n; None when the
    history does not start with the opening."""
    if not history or history[0]["type"] != OPENED:
        return None
    watched = opened(history[0])
    for envelope in history[1:]:
        fold(watched, envelope)
    return watched
