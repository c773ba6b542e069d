"""One product's whole life told through the domain methods, so it raises every event type:
registered, verified, certified, sold at auction (with a late bid that extends it and that
the bid scorer flags), listed
again and withdrawn, listed once more without a sale, and finally its certificate revoked."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

from eventsourcing.domain import BaseAggregate

from domain.auction import Auction
from domain.certificate import Certificate
from domain.event_base import VeraEvent
from domain.product import Product
from domain.provenance import Provenance
from domain.statuses import Verdict, VerificationStatus
from domain.verification import Verification
from tests.support.certificate_issuer import issue_with_credential

START = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
MANUFACTURER = "acme-watches"
INSPECTOR = "inspector-ines"
BUYER = "alice"


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class _Story:
    """Collects the aggregates' new events in the order they were decided."""

    def __init__(self) -> None:
        self.events: list[VeraEvent] = []

    def prov(self, actor_id: str, now: datetime) -> Provenance:
        return Provenance(actor_id=actor_id, now=now, correlation_id=uuid4(), causation_id=uuid4())

    def record(self, *aggregates: BaseAggregate[UUID]) -> None:
        for aggregate in aggregates:
            for event in aggregate.collect_events():
                assert isinstance(event, VeraEvent)
                self.events.append(event)


def product_life_events() -> Sequence[VeraEvent]:
    """Every event of the story, in decision order."""
    story = _Story()
    product = _verified_product(story)
    certificate = _certify(story, product)
    _sell(story, product)
    _list_and_cancel(story, product, START + timedelta(days=2))
    _list_without_sale(story, product, START + timedelta(days=3))
    revoked_at = START + timedelta(days=10)
    certificate.revoke("the movement was replaced", story.prov(INSPECTOR, revoked_at))
    product.withdraw_certificate(certificate.id, story.prov(INSPECTOR, revoked_at))
    story.record(certificate, product)
    return story.events


def _verified_product(story: _Story) -> Product:
    at = START
    product = Product.register(
        sku="AW-300",
        serial_number="SN-000123",
        name="Acme Diver 300",
        manufacturer=MANUFACTURER,
        prov=story.prov(MANUFACTURER, at),
        category="watch",
        manufactured_on=date(2024, 3, 15),
    )
    verification_id = uuid4()
    product.start_verification(verification_id, story.prov(MANUFACTURER, at))
    verification = Verification.request(
        verification_id=verification_id,
        product_id=product.id,
        image_hashes=[_sha256("front.jpg"), _sha256("back.jpg")],
        notes="bought from the manufacturer's shop",
        prov=story.prov(MANUFACTURER, at),
    )
    verification.record_ai_assessment(
        authenticity_score=Decimal("0.97"),
        model_name="vera-vision",
        model_version="2026.11",
        model_sha256=_sha256("model weights"),
        quality_grade=4,
        ocr_text="SN-000123",
        serial_match=True,
        models=[
            {"name": "vera-vision", "version": "2026.11", "sha256": _sha256("model weights")},
            {"name": "vera-grade", "version": "2026.11", "sha256": _sha256("grade weights")},
        ],
        input_hashes=[_sha256("front.jpg")],
        prov=story.prov("ai-worker", at + timedelta(minutes=1)),
    )
    verification.record_inspection(
        verdict=Verdict.AUTHENTIC,
        notes="caseback engraving matches",
        prov=story.prov(INSPECTOR, at + timedelta(hours=1)),
    )
    product.conclude_verification(
        verification_id,
        VerificationStatus.AUTHENTIC,
        story.prov(INSPECTOR, at + timedelta(hours=1)),
    )
    story.record(product, verification)
    return product


def _certify(story: _Story, product: Product) -> Certificate:
    prov = story.prov(INSPECTOR, START + timedelta(hours=2))
    verification_id = product.check_certifiable()
    certificate = issue_with_credential(
        certificate_id=uuid4(),
        product_id=product.id,
        sku=product.sku,
        serial_number=product.serial_number,
        manufacturer=product.manufacturer,
        product_name=product.name,
        verification_id=verification_id,
        verdict=Verdict.AUTHENTIC.value,
        inspector_id=INSPECTOR,
        ai_score=Decimal("0.97"),
        ai_model_name="vera-vision",
        ai_model_version="2026.11",
        prov=prov,
    )
    product.attach_certificate(certificate.id, prov)
    story.record(certificate, product)
    return certificate


def _sell(story: _Story, product: Product) -> None:
    opened_at = START + timedelta(days=1)
    auction = _open(story, product, MANUFACTURER, opened_at)
    # A bid inside the two-minute closing window: BidPlaced, then AuctionExtended.
    bid_at = auction.ends_at - timedelta(seconds=30)
    bid_id = auction.place_bid(
        amount=Decimal("1250.00"), currency="EUR", prov=story.prov(BUYER, bid_at)
    )
    auction.flag_bid(
        bid_id=bid_id,
        score=Decimal("0.81"),
        threshold=Decimal("0.5"),
        reason="bid rate far above the auction's",
        model_name="bid-anomaly",
        model_version="2026.11",
        model_sha256=_sha256("anomaly weights"),
        prov=story.prov("bid-scorer", bid_at + timedelta(seconds=1)),
    )
    closed_at = auction.ends_at
    auction.close(story.prov("auction-clock", closed_at))
    assert auction.highest_amount is not None
    product.transfer_to(
        BUYER, auction.id, auction.highest_amount, "EUR", story.prov("auction-clock", closed_at)
    )
    story.record(auction, product)


def _list_and_cancel(story: _Story, product: Product, at: datetime) -> None:
    auction = _open(story, product, BUYER, at)
    auction.cancel("listed by mistake", story.prov(BUYER, at + timedelta(minutes=5)))
    product.unlist(auction.id, "CANCELLED", story.prov(BUYER, at + timedelta(minutes=5)))
    story.record(auction, product)


def _list_without_sale(story: _Story, product: Product, at: datetime) -> None:
    auction = _open(story, product, BUYER, at)
    auction.close(story.prov("auction-clock", auction.ends_at))  # no bids: no winner
    product.unlist(auction.id, "UNSOLD", story.prov("auction-clock", auction.ends_at))
    story.record(auction, product)


def _open(story: _Story, product: Product, seller_id: str, at: datetime) -> Auction:
    prov = story.prov(seller_id, at)
    auction = Auction.open(
        auction_id=uuid4(),
        product_id=product.id,
        reserve_price=Decimal("1000.00"),
        min_increment=Decimal("50.00"),
        currency="EUR",
        starts_at=at,
        ends_at=at + timedelta(hours=1),
        prov=prov,
    )
    product.list_in(auction.id, prov)
    return auction
