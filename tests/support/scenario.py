"""Builders that drive the write side through the bus: a certified product, open auctions.

Every builder picks random ids, so tests sharing one database never see each other's data."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID

from commands.actor import Actor, Role
from commands.bus import CommandBus
from commands.messages import (
    IssueCertificate,
    OpenAuction,
    RecordAIAssessment,
    RecordInspection,
    RegisterProduct,
    RequestVerification,
)
from domain.statuses import Verdict

INSPECTOR = Actor.of("inspector-scenario", Role.INSPECTOR)
SCORER = Actor.of("ai-agent-scenario", Role.SYSTEM)


def new_maker() -> Actor:
    return Actor.of(f"maker-{uuid.uuid4().hex[:10]}", Role.MANUFACTURER)


def new_bidder(prefix: str = "bidder") -> Actor:
    return Actor.of(f"{prefix}-{uuid.uuid4().hex[:10]}", Role.BIDDER)


def registration(
    *,
    manufacturer: str | None = None,
    serial_number: str | None = None,
    idempotency_key: str | None = None,
) -> RegisterProduct:
    """A RegisterProduct; a fresh manufacturer and serial number unless given."""
    return RegisterProduct(
        sku="SKU-1",
        serial_number=serial_number or f"SN-{uuid.uuid4().hex}",
        name="Chronograph",
        manufacturer=manufacturer or f"Maison {uuid.uuid4().hex[:8]}",
        idempotency_key=idempotency_key,
    )


@dataclass(frozen=True, slots=True)
class AuctionSpec:
    """An open auction and the rules a valid bid must follow."""

    auction_id: UUID
    product_id: UUID
    seller: Actor
    reserve_price: Decimal
    min_increment: Decimal
    currency: str


async def certified_product(bus: CommandBus, maker: Actor) -> UUID:
    """Register a product, have it verified AUTHENTIC and certified; return its id."""
    registered = await bus.dispatch(registration(), maker)
    product_id = UUID(registered.ids["productId"])
    requested = await bus.dispatch(
        RequestVerification(product_id=product_id, image_hashes=(uuid.uuid4().hex * 2,)), maker
    )
    verification_id = UUID(requested.ids["verificationId"])
    await bus.dispatch(
        RecordAIAssessment(
            verification_id=verification_id,
            authenticity_score=Decimal("0.97"),
            model_name="authenticity",
            model_version="1.0.0",
            model_sha256="cd" * 32,
        ),
        SCORER,
    )
    await bus.dispatch(
        RecordInspection(verification_id=verification_id, verdict=Verdict.AUTHENTIC), INSPECTOR
    )
    await bus.dispatch(IssueCertificate(product_id=product_id), INSPECTOR)
    return product_id


async def open_auction(
    bus: CommandBus,
    *,
    reserve_price: Decimal = Decimal("100.00"),
    min_increment: Decimal = Decimal("5.00"),
    currency: str = "EUR",
    starts_at: datetime | None = None,
    duration: timedelta = timedelta(hours=1),
    extension_window_seconds: int = 0,
    extension_seconds: int = 0,
) -> AuctionSpec:
    """A certified product in a fresh auction. No anti-sniping window by default, so an
    auction's history is its opening followed by nothing but bids."""
    maker = new_maker()
    product_id = await certified_product(bus, maker)
    start = starts_at or datetime.now(UTC)
    opened = await bus.dispatch(
        OpenAuction(
            product_id=product_id,
            reserve_price=reserve_price,
            min_increment=min_increment,
            currency=currency,
            starts_at=start,
            ends_at=start + duration,
            extension_window_seconds=extension_window_seconds,
            extension_seconds=extension_seconds,
        ),
        maker,
    )
    return AuctionSpec(
        UUID(opened.ids["auctionId"]), product_id, maker, reserve_price, min_increment, currency
    )


async def open_auctions(bus: CommandBus, count: int) -> list[AuctionSpec]:
    """`count` auctions, built concurrently (their commands share batches)."""
    return list(await asyncio.gather(*(open_auction(bus) for _ in range(count))))


class ManualClock:
    """A bus clock the test moves by hand, to put commands at chosen moments."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now
