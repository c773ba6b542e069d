"""The Redis read model as pure functions: which keys an event touches, what they hold,
and the live-update message it publishes.

Per auction: a hash (status, highest bid, bidder, bid count, end time, version) and a
sorted set of its top bids. Per product: a hash with its verification status. Updates are
version-guarded by a Lua script (streams/redis_projection.py), so only an update that was
actually applied publishes its message."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from domain.envelope import upcast_envelope
from projections.read_rows import Envelope, Row

PREFIX = "verachain"
TOP_BIDS_KEPT = 100


def auction_key(auction_id: str, prefix: str = PREFIX) -> str:
    return f"{prefix}:auction:{auction_id}"


def auction_bids_key(auction_id: str, prefix: str = PREFIX) -> str:
    return f"{prefix}:auction:{auction_id}:bids"


def product_key(product_id: str, prefix: str = PREFIX) -> str:
    return f"{prefix}:product:{product_id}"


def verification_key(verification_id: str, prefix: str = PREFIX) -> str:
    return f"{prefix}:verification:{verification_id}"


def auction_channel(auction_id: str) -> str:
    return f"verachain:auction:{auction_id}"


def product_channel(product_id: str) -> str:
    return f"verachain:product:{product_id}"


@dataclass(frozen=True)
class LiveUpdate:
    """One version-guarded Redis update. `fields` replace hash fields; `top_bid` adds a
    sorted-set member (score: the amount in cents, exact as a double below 2^53)."""

    key: str
    version: int
    fields: dict[str, str]
    channel: str | None = None
    message: str | None = None
    bids_key: str | None = None
    top_bid: tuple[str, int] | None = None  # (member JSON, score)
    extra: dict[str, Any] = field(default_factory=dict)


_AUCTION_KINDS = {
    "BidPlaced": "BID_PLACED",
    "AuctionExtended": "EXTENDED",
    "AuctionClosed": "CLOSED",
    "AuctionCancelled": "CANCELLED",
}


def utc_iso(moment: datetime) -> str:
    """ISO 8601 in UTC whatever the database session's time zone was."""
    return moment.astimezone(UTC).isoformat()


def cents(amount: Decimal) -> int:
    return int(amount * 100)


def auction_fields(row: Row) -> dict[str, str]:
    """The auction hash as strings (Redis holds text); money stays a decimal string."""
    return {
        "status": str(row["status"]),
        "currency": str(row["currency"]),
        "highest_amount": "" if row["highest_amount"] is None else str(row["highest_amount"]),
        "highest_bidder_id": row["highest_bidder_id"] or "",
        "bid_count": str(row["bid_count"]),
        "ends_at": utc_iso(row["ends_at"]),
        "version": str(row["version"]),
        "position": str(row["position"]),
    }


def top_bid_entry(bid: dict[str, Any]) -> tuple[str, int]:
    """A BidPlaced event's member of the top-bids sorted set, and its score (cents). The
    rebuild and the check call it too, so all three agree on the member's exact bytes."""
    member = json.dumps(
        {"bidId": bid["bid_id"], "bidderId": bid["bidder_id"], "amount": bid["amount"]},
        sort_keys=True,
    )
    return member, cents(Decimal(bid["amount"]))


def live_update(envelope: Envelope, row: Row) -> LiveUpdate | None:
    """The Redis update for an event, given its aggregate's new SQL row (see read_rows)."""
    envelope = upcast_envelope(envelope)
    aggregate = envelope["aggregate_type"]
    aggregate_id = envelope["aggregate_id"]
    version = int(envelope["aggregate_version"])
    if aggregate == "Auction":
        kind = _AUCTION_KINDS.get(envelope["type"])
        message = None
        if kind is not None:
            data = envelope["data"]
            amount = data.get("amount") or data.get("winning_amount")
            message = json.dumps(
                {
                    "auctionId": aggregate_id,
                    "kind": kind,
                    "amount": None
                    if amount is None
                    else {"amount": amount, "currency": row["currency"]},
                    "bidderId": data.get("bidder_id") or data.get("winner_id"),
                    "endsAt": utc_iso(row["ends_at"]),
                    "status": row["status"],
                    "bidCount": row["bid_count"],
                    "position": int(envelope["position"]),
                }
            )
        top_bid = top_bid_entry(envelope["data"]) if envelope["type"] == "BidPlaced" else None
        return LiveUpdate(
            key=auction_key(aggregate_id),
            version=version,
            fields=auction_fields(row),
            channel=auction_channel(aggregate_id) if message else None,
            message=message,
            bids_key=auction_bids_key(aggregate_id),
            top_bid=top_bid,
        )
    if aggregate == "Product":
        changed = envelope["type"] == "ProductVerificationStatusChanged"
        message = (
            json.dumps(
                {
                    "productId": aggregate_id,
                    "status": row["verification_status"],
                    "verificationId": row["latest_verification_id"],
                    "position": int(envelope["position"]),
                }
            )
            if changed
            else None
        )
        return LiveUpdate(
            key=product_key(aggregate_id),
            version=version,
            fields={
                "verification_status": str(row["verification_status"]),
                "latest_verification_id": row["latest_verification_id"] or "",
                "version": str(version),
                "position": str(envelope["position"]),
            },
            channel=product_channel(aggregate_id) if changed else None,
            message=message,
        )
    if aggregate == "Verification":
        # The AI assessment and the inspection are news for the product's subscribers.
        stage_message = json.dumps(
            {
                "productId": row["product_id"],
                "verificationId": aggregate_id,
                "stage": row["stage"],
                "aiScore": None if row["ai_score"] is None else str(row["ai_score"]),
                "verdict": row["verdict"],
                "position": int(envelope["position"]),
            }
        )
        return LiveUpdate(
            key=verification_key(aggregate_id),
            version=version,
            fields={
                "product_id": str(row["product_id"]),
                "stage": str(row["stage"]),
                "verdict": row["verdict"] or "",
                "version": str(version),
                "position": str(envelope["position"]),
            },
            channel=product_channel(str(row["product_id"])),
            message=stage_message,
        )
    return None
