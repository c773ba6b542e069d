"""Shared by the command-handler tests: a cast of principals, the commands they send, and
ways to read a command's events."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import TypeVar
from uuid import UUID, uuid4

from commands.actor import Actor, Role
from commands.messages import FlagBid, OpenAuction, RecordAIAssessment, RegisterProduct
from domain.event_base import VeraEvent
from tests.unit.support import END, T0, actor, image_hash

DURING = T0 + timedelta(minutes=1)


@dataclass
class Cast:
    maker: Actor = field(default_factory=lambda: actor(Role.MANUFACTURER))
    other_maker: Actor = field(default_factory=lambda: actor(Role.MANUFACTURER))
    inspector: Actor = field(default_factory=lambda: actor(Role.INSPECTOR))
    bidder: Actor = field(default_factory=lambda: actor(Role.BIDDER))
    bidder2: Actor = field(default_factory=lambda: actor(Role.BIDDER))
    admin: Actor = field(default_factory=lambda: actor(Role.ADMIN))
    auditor: Actor = field(default_factory=lambda: actor(Role.AUDITOR))


def topics(events: list[VeraEvent]) -> list[str]:
    """The events' stable names, sorted: a command's events are grouped per aggregate."""
    return sorted(type(e).TOPIC for e in events)


E = TypeVar("E", bound=VeraEvent)


def only(events: list[VeraEvent], kind: type[E]) -> E:
    """The one event of this type among a command's events."""
    found = [e for e in events if isinstance(e, kind)]
    assert len(found) == 1, topics(events)
    return found[0]


def register_command(manufacturer: str = "Acme", serial: str | None = None) -> RegisterProduct:
    return RegisterProduct(
        sku="SKU-1",
        serial_number=serial or f"SN-{uuid4().hex}",
        name="Chronograph",
        manufacturer=manufacturer,
    )


def open_command(product_id: UUID, **overrides: object) -> OpenAuction:
    fields: dict[str, object] = {
        "product_id": product_id,
        "reserve_price": Decimal("100.00"),
        "min_increment": Decimal("5.00"),
        "currency": "EUR",
        "starts_at": T0,
        "ends_at": END,
    }
    fields.update(overrides)
    return OpenAuction(**fields)  # type: ignore[arg-type]


def ai_command(verification_id: UUID) -> RecordAIAssessment:
    return RecordAIAssessment(
        verification_id=verification_id,
        authenticity_score=Decimal("0.5"),
        model_name="vera-cnn",
        model_version="1",
        model_sha256=image_hash(),
    )


def flag_command(auction_id: UUID, bid_id: UUID, **overrides: object) -> FlagBid:
    fields: dict[str, object] = {
        "auction_id": auction_id,
        "bid_id": bid_id,
        "score": Decimal("0.92"),
        "threshold": Decimal("0.5"),
        "reason": "shill pattern",
        "model_name": "bid-anomaly",
        "model_version": "1.0.0",
        "model_sha256": image_hash(),
    }
    fields.update(overrides)
    return FlagBid(**fields)  # type: ignore[arg-type]
