"""The whole write-side story once, through the bus, on real PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID

from commands.actor import Actor, Role
from commands.bus import CommandBus
from commands.messages import (
    CloseAuction,
    IssueCertificate,
    OpenAuction,
    PlaceBid,
    RecordAIAssessment,
    RecordInspection,
    RegisterProduct,
    RequestVerification,
)
from commands.store import EventStore
from domain.auction import Auction
from domain.product import Product
from domain.statuses import AuctionStatus, Verdict


async def test_register_verify_certify_auction_and_settle(
    bus: CommandBus, store: EventStore
) -> None:
    maker = Actor.of(f"maker-{uuid.uuid4().hex[:6]}", Role.MANUFACTURER)
    inspector = Actor.of("inspector-1", Role.INSPECTOR)
    scorer = Actor.of("ai-agent", Role.SYSTEM)
    alice = Actor.of("alice", Role.BIDDER)
    bob = Actor.of("bob", Role.BIDDER)

    registered = await bus.dispatch(
        RegisterProduct(
            sku="W-1", serial_number=uuid.uuid4().hex, name="Watch", manufacturer="Acme"
        ),
        maker,
    )
    product_id = UUID(registered.ids["productId"])
    requested = await bus.dispatch(
        RequestVerification(product_id=product_id, image_hashes=("ab" * 32,)), maker
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
        scorer,
    )
    await bus.dispatch(
        RecordInspection(verification_id=verification_id, verdict=Verdict.AUTHENTIC), inspector
    )
    await bus.dispatch(IssueCertificate(product_id=product_id), inspector)
    now = datetime.now(UTC)
    opened = await bus.dispatch(
        OpenAuction(
            product_id=product_id,
            reserve_price=Decimal("100.00"),
            min_increment=Decimal("5.00"),
            currency="EUR",
            starts_at=now,
            ends_at=now + timedelta(seconds=1),
            extension_window_seconds=0,
            extension_seconds=0,
        ),
        maker,
    )
    auction_id = UUID(opened.ids["auctionId"])
    first = await bus.dispatch(PlaceBid(auction_id=auction_id, amount=Decimal("100")), alice)
    second = await bus.dispatch(PlaceBid(auction_id=auction_id, amount=Decimal("105.5")), bob)
    assert second.position > first.position > opened.position

    # The bus's clock decides when the auction has ended; wait for it, then settle.
    auction_before = store.load(auction_id)
    assert isinstance(auction_before, Auction)
    await asyncio.sleep((auction_before.ends_at - datetime.now(UTC)).total_seconds() + 0.05)
    closed = await bus.dispatch(CloseAuction(auction_id=auction_id), maker)

    auction = store.load(auction_id)
    product = store.load(product_id)
    assert isinstance(auction, Auction)
    assert isinstance(product, Product)
    assert auction.status == AuctionStatus.CLOSED
    assert auction.winner_id == "bob"
    assert auction.highest_amount == Decimal("105.50")
    assert product.owner_id == "bob"
    assert product.open_auction_id is None
    assert closed.position <= store.head_position()
