"""The SQL read model as pure functions: an envelope and the aggregate's current row in,
its next row (and child rows) out.

The live projection, the rebuild and the check all fold events through `project`, so the
three can never disagree about what a row should hold."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from domain.envelope import upcast_envelope

Row = dict[str, Any]
Envelope = dict[str, Any]

TABLE_BY_AGGREGATE: dict[str, str] = {
    "Product": "products",
    "Verification": "verifications",
    "Certificate": "certificates",
    "Auction": "auctions",
}


class VersionGap(Exception):
    """The event is not the next one of its aggregate: some earlier event has not been
    applied. The caller repairs by reading the missing events from the event store."""

    def __init__(self, aggregate_id: str, have: int, got: int) -> None:
        super().__init__(f"aggregate {aggregate_id} is at version {have}, event is {got}")
        self.aggregate_id = aggregate_id
        self.have = have
        self.got = got


@dataclass(frozen=True)
class ChildUpdate:
    """Columns an event changes in a child row its aggregate added earlier (a flagged bid)."""

    table: str
    row_id: str
    changes: Row


@dataclass(frozen=True)
class Projected:
    """The aggregate's new row, rows its event adds to child tables (bids), and changes
    to child rows added before (applied after the additions, in order)."""

    table: str
    row: Row
    children: list[tuple[str, Row]] = field(default_factory=list)
    child_updates: list[ChildUpdate] = field(default_factory=list)


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def parse_date(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def money(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def project(envelope: Envelope, current: Row | None) -> Projected | None:
    """Apply one event to its aggregate's row. None: already applied (a redelivery).
    Envelopes of older versions are upcast first (they are published as recorded)."""
    envelope = upcast_envelope(envelope)
    table = TABLE_BY_AGGREGATE[envelope["aggregate_type"]]
    version = int(envelope["aggregate_version"])
    have = 0 if current is None else int(current["version"])
    if version <= have:
        return None
    if version != have + 1:
        raise VersionGap(envelope["aggregate_id"], have, version)
    row: Row = {} if current is None else dict(current)
    children: list[tuple[str, Row]] = []
    updates: list[ChildUpdate] = []
    updater = _CHILD_UPDATERS.get(envelope["type"])
    if updater is not None:
        updates = updater(row, envelope["data"], envelope)
    else:
        children = _HANDLERS[envelope["type"]](row, envelope["data"], envelope)
    row["version"] = version
    row["position"] = int(envelope["position"])
    row["updated_at"] = parse_time(envelope["occurred_at"])
    return Projected(table, row, children, updates)


Handler = Callable[[Row, dict[str, Any], Envelope], list[tuple[str, Row]]]
ChildUpdater = Callable[[Row, dict[str, Any], Envelope], list[ChildUpdate]]


def _product_registered(row: Row, data: dict[str, Any], env: Envelope) -> list[tuple[str, Row]]:
    row.update(
        id=env["aggregate_id"],
        sku=data["sku"],
        serial_number=data["serial_number"],
        name=data["name"],
        manufacturer=data["manufacturer"],
        owner_id=data["owner_id"],
        verification_status="UNVERIFIED",
        latest_verification_id=None,
        valid_certificate_id=None,
        open_auction_id=None,
        registered_at=parse_time(env["occurred_at"]),
        # v2; project() upcast a v1 envelope, so both are present (null when not stated).
        category=data["category"],
        manufactured_on=parse_date(data["manufactured_on"]),
    )
    return []


def _product_status(row: Row, data: dict[str, Any], _: Envelope) -> list[tuple[str, Row]]:
    row.update(verification_status=data["status"], latest_verification_id=data["verification_id"])
    return []


def _product_certified(row: Row, data: dict[str, Any], _: Envelope) -> list[tuple[str, Row]]:
    row["valid_certificate_id"] = data["certificate_id"]
    return []


def _product_certificate_withdrawn(
    row: Row, _data: dict[str, Any], _env: Envelope
) -> list[tuple[str, Row]]:
    row["valid_certificate_id"] = None
    return []


def _product_listed(row: Row, data: dict[str, Any], _: Envelope) -> list[tuple[str, Row]]:
    row["open_auction_id"] = data["auction_id"]
    return []


def _product_unlisted(row: Row, _data: dict[str, Any], _env: Envelope) -> list[tuple[str, Row]]:
    row["open_auction_id"] = None
    return []


def _product_transferred(row: Row, data: dict[str, Any], _: Envelope) -> list[tuple[str, Row]]:
    row.update(owner_id=data["new_owner_id"], open_auction_id=None)
    return []


def _verification_requested(row: Row, data: dict[str, Any], env: Envelope) -> list[tuple[str, Row]]:
    row.update(
        id=env["aggregate_id"],
        product_id=data["product_id"],
        requested_by=data["requested_by"],
        image_hashes=list(data["image_hashes"]),
        notes=data["notes"],
        stage="AWAITING_AI",
        ai_score=None,
        ai_model_name=None,
        ai_model_version=None,
        ai_model_sha256=None,
        verdict=None,
        inspector_id=None,
        inspection_notes=None,
        requested_at=parse_time(env["occurred_at"]),
        concluded_at=None,
        ai_quality_grade=None,
        ai_ocr_text=None,
        ai_serial_match=None,
        ai_models=None,
        ai_input_hashes=None,
    )
    return []


def _ai_assessed(row: Row, data: dict[str, Any], _: Envelope) -> list[tuple[str, Row]]:
    row.update(
        stage="AWAITING_INSPECTION",
        ai_score=Decimal(data["authenticity_score"]),
        ai_model_name=data["model_name"],
        ai_model_version=data["model_version"],
        ai_model_sha256=data["model_sha256"],
        ai_quality_grade=data["quality_grade"],
        ai_ocr_text=data["ocr_text"],
        ai_serial_match=data["serial_match"],
        ai_models=models_json(data["models"]),
        ai_input_hashes=list(data["input_hashes"]),
    )
    return []


def models_json(models: list[dict[str, str]]) -> str:
    """The models list as the ai_models column holds it: compact JSON, keys sorted, so the
    live projection, the rebuild and the check write the very same text."""
    return json.dumps(models, sort_keys=True, separators=(",", ":"))


def _inspected(row: Row, data: dict[str, Any], env: Envelope) -> list[tuple[str, Row]]:
    row.update(
        stage="CONCLUDED",
        verdict=data["verdict"],
        inspector_id=data["inspector_id"],
        inspection_notes=data["notes"],
        concluded_at=parse_time(env["occurred_at"]),
    )
    return []


def _certificate_issued(row: Row, data: dict[str, Any], env: Envelope) -> list[tuple[str, Row]]:
    row.update(
        id=env["aggregate_id"],
        product_id=data["product_id"],
        verification_id=data["verification_id"],
        sku=data["sku"],
        serial_number=data["serial_number"],
        manufacturer=data["manufacturer"],
        product_name=data["product_name"],
        verdict=data["verdict"],
        inspector_id=data["inspector_id"],
        ai_score=money(data["ai_score"]),
        ai_model_name=data["ai_model_name"],
        ai_model_version=data["ai_model_version"],
        issued_by=data["issued_by"],
        # The credential's canonical JSON text, kept verbatim: its bytes are what
        # credential_sha256 covers. Null for certificates issued before credentials (v1);
        # .get because a v1 envelope may still be on a topic a worker replays.
        credential=data.get("credential"),
        credential_sha256=data.get("credential_sha256"),
        status="VALID",
        issued_at=parse_time(env["occurred_at"]),
        revoked_at=None,
        revoked_by=None,
        revocation_reason=None,
    )
    return []


def _certificate_revoked(row: Row, data: dict[str, Any], env: Envelope) -> list[tuple[str, Row]]:
    row.update(
        status="REVOKED",
        revoked_at=parse_time(env["occurred_at"]),
        revoked_by=data["revoked_by"],
        revocation_reason=data["reason"],
    )
    return []


def _auction_opened(row: Row, data: dict[str, Any], env: Envelope) -> list[tuple[str, Row]]:
    row.update(
        id=env["aggregate_id"],
        product_id=data["product_id"],
        seller_id=data["seller_id"],
        status="OPEN",
        reserve_price=Decimal(data["reserve_price"]),
        min_increment=Decimal(data["min_increment"]),
        currency=data["currency"],
        starts_at=parse_time(data["starts_at"]),
        ends_at=parse_time(data["ends_at"]),
        extension_window_seconds=int(data["extension_window_seconds"]),
        extension_seconds=int(data["extension_seconds"]),
        highest_amount=None,
        highest_bidder_id=None,
        highest_bid_id=None,
        bid_count=0,
        winner_id=None,
        opened_at=parse_time(env["occurred_at"]),
        closed_at=None,
        flagged_bid_count=0,
    )
    return []


def _bid_placed(row: Row, data: dict[str, Any], env: Envelope) -> list[tuple[str, Row]]:
    amount = Decimal(data["amount"])
    row.update(
        highest_amount=amount,
        highest_bidder_id=data["bidder_id"],
        highest_bid_id=data["bid_id"],
        bid_count=int(row["bid_count"]) + 1,
    )
    bid: Row = {
        "id": data["bid_id"],
        "auction_id": env["aggregate_id"],
        "bidder_id": data["bidder_id"],
        "amount": amount,
        "currency": data["currency"],
        "placed_at": parse_time(env["occurred_at"]),
        "auction_version": int(env["aggregate_version"]),
        "position": int(env["position"]),
        "flagged": False,
        "flag_score": None,
        "flag_reason": None,
    }
    return [("bids", bid)]


def _bid_flagged(row: Row, data: dict[str, Any], _: Envelope) -> list[ChildUpdate]:
    # The aggregate flags a bid at most once, so counting events counts flagged bids.
    row["flagged_bid_count"] = int(row.get("flagged_bid_count") or 0) + 1
    changes: Row = {
        "flagged": True,
        "flag_score": Decimal(data["score"]),
        "flag_reason": data["reason"],
    }
    return [ChildUpdate("bids", str(data["bid_id"]), changes)]


def _auction_extended(row: Row, data: dict[str, Any], _: Envelope) -> list[tuple[str, Row]]:
    row["ends_at"] = parse_time(data["ends_at"])
    return []


def _auction_closed(row: Row, data: dict[str, Any], env: Envelope) -> list[tuple[str, Row]]:
    row.update(
        status="CLOSED", winner_id=data["winner_id"], closed_at=parse_time(env["occurred_at"])
    )
    return []


def _auction_cancelled(row: Row, _data: dict[str, Any], env: Envelope) -> list[tuple[str, Row]]:
    row.update(status="CANCELLED", closed_at=parse_time(env["occurred_at"]))
    return []


_HANDLERS: dict[str, Handler] = {
    "ProductRegistered": _product_registered,
    "ProductVerificationStatusChanged": _product_status,
    "ProductCertified": _product_certified,
    "ProductCertificateWithdrawn": _product_certificate_withdrawn,
    "ProductListed": _product_listed,
    "ProductUnlisted": _product_unlisted,
    "ProductOwnershipTransferred": _product_transferred,
    "VerificationRequested": _verification_requested,
    "AIAssessmentRecorded": _ai_assessed,
    "InspectionRecorded": _inspected,
    "CertificateIssued": _certificate_issued,
    "CertificateRevoked": _certificate_revoked,
    "AuctionOpened": _auction_opened,
    "BidPlaced": _bid_placed,
    "AuctionExtended": _auction_extended,
    "AuctionClosed": _auction_closed,
    "AuctionCancelled": _auction_cancelled,
}

_CHILD_UPDATERS: dict[str, ChildUpdater] = {
    "BidFlagged": _bid_flagged,
}


def handled_event_types() -> frozenset[str]:
    return frozenset(_HANDLERS) | frozenset(_CHILD_UPDATERS)
