"""Drives products through the command layer to an open auction: shared by demo and bench."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
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
from domain.product_attributes import PRODUCT_CATEGORIES
from domain.statuses import Verdict

AI_AGENT = Actor.of("ai-assessor", Role.SYSTEM)
INSPECTOR = Actor.of("inspector-ines", Role.INSPECTOR)
MODEL_SHA256 = hashlib.sha256(b"demo authenticity model v1").hexdigest()


@dataclass(frozen=True, slots=True)
class OpenedAuction:
    auction_id: UUID
    product_id: UUID
    seller: Actor
    reserve: Decimal
    increment: Decimal
    currency: str


async def certified_product(
    bus: CommandBus,
    maker: Actor,
    *,
    sku: str,
    serial: str,
    name: str,
    verdict: Verdict,
    category: str | None = None,
    manufactured_on: date | None = None,
) -> tuple[UUID, UUID | None]:
    """Register, verify (AI, then inspector) and, when AUTHENTIC, certify one product.
    Returns (product id, certificate id or None)."""
    registered = await bus.dispatch(
        RegisterProduct(
            sku=sku,
            serial_number=serial,
            name=name,
            manufacturer=maker.id,
            category=category,
            manufactured_on=manufactured_on,
        ),
        maker,
    )
    product_id = UUID(registered.ids["productId"])
    evidence = hashlib.sha256(f"{serial}/front.jpg".encode()).hexdigest()
    requested = await bus.dispatch(
        RequestVerification(product_id=product_id, image_hashes=(evidence,), notes="photos"),
        maker,
    )
    verification_id = UUID(requested.ids["verificationId"])
    score = Decimal("0.9312") if verdict == Verdict.AUTHENTIC else Decimal("0.2120")
    await bus.dispatch(
        RecordAIAssessment(
            verification_id=verification_id,
            authenticity_score=score,
            model_name="authenticity",
            model_version="demo-1",
            model_sha256=MODEL_SHA256,
        ),
        AI_AGENT,
    )
    await bus.dispatch(
        RecordInspection(verification_id=verification_id, verdict=verdict, notes="checked"),
        INSPECTOR,
    )
    if verdict != Verdict.AUTHENTIC:
        return product_id, None
    issued = await bus.dispatch(IssueCertificate(product_id=product_id), INSPECTOR)
    return product_id, UUID(issued.ids["certificateId"])


async def open_auctions(
    bus: CommandBus,
    count: int,
    *,
    now: datetime,
    duration: timedelta,
    extension_window: timedelta = timedelta(minutes=2),
    extension: timedelta = timedelta(minutes=2),
    concurrency: int = 64,
    on_opened: Callable[[], None] | None = None,
) -> list[OpenedAuction]:
    """Certify `count` fresh products and open one auction for each, `concurrency` at a time."""
    run = uuid.uuid4().hex[:8]
    makers = [Actor.of(f"maker-{run}-{i}", Role.MANUFACTURER) for i in range(8)]
    limiter = asyncio.Semaphore(concurrency)

    async def one(index: int) -> OpenedAuction:
        async with limiter:
            maker = makers[index % len(makers)]
            product_id, _ = await certified_product(
                bus,
                maker,
                sku=f"SKU-{index % 50:03d}",
                serial=f"{run}-{index:06d}",
                name=f"Item {index}",
                verdict=Verdict.AUTHENTIC,
                # "Item N" names no category: stated, so price estimates have one.
                category=PRODUCT_CATEGORIES[index % len(PRODUCT_CATEGORIES)],
            )
            reserve = Decimal(100 + index % 400)
            increment = Decimal("1.00")
            opened = await bus.dispatch(
                OpenAuction(
                    product_id=product_id,
                    reserve_price=reserve,
                    min_increment=increment,
                    currency="EUR",
                    starts_at=now,
                    ends_at=now + duration,
                    extension_window_seconds=int(extension_window.total_seconds()),
                    extension_seconds=int(extension.total_seconds()),
                ),
                maker,
            )
            if on_opened is not None:
                on_opened()
            return OpenedAuction(
                UUID(opened.ids["auctionId"]), product_id, maker, reserve, increment, "EUR"
            )

    return list(await asyncio.gather(*(one(i) for i in range(count))))
