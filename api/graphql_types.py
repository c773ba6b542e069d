"""The GraphQL object types of CONTRACT.md, built from read-model rows. Nested fields
resolve through the request's DataLoaders; an auction's hot fields (status, highest bid,
bid count, end time) come from Redis when Redis holds a version at least as new as the
SQL row's."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import strawberry
from strawberry.types import Info

from api.certificate_credentials import issuance_proof, issuer_of
from api.price_estimates import estimate_price
from api.read_models import MAX_PAGE, Row
from domain.errors import ValidationFailed
from domain.statuses import (
    AuctionStatus,
    CertificateStatus,
    Verdict,
    VerificationStage,
    VerificationStatus,
)

VerificationStatusType = strawberry.enum(VerificationStatus, name="VerificationStatus")
AuctionStatusType = strawberry.enum(AuctionStatus, name="AuctionStatus")
VerdictType = strawberry.enum(Verdict, name="Verdict")
CertificateStatusType = strawberry.enum(CertificateStatus, name="CertificateStatus")
VerificationStageType = strawberry.enum(VerificationStage, name="VerificationStage")


@strawberry.type
class Money:
    amount: Decimal
    currency: str


@strawberry.type
class HighestBid:
    bidder_id: str
    amount: Money


@strawberry.type
class Bid:
    id: strawberry.ID
    bidder_id: str
    amount: Money
    placed_at: datetime
    position: int
    flagged: bool = strawberry.field(description="a bid-anomaly model (or an admin) flagged it")
    flag_score: Decimal | None = strawberry.field(description="the score that flagged it")
    flag_reason: str | None

    @classmethod
    def from_row(cls, row: Row) -> Bid:
        return cls(
            id=strawberry.ID(str(row["id"])),
            bidder_id=row["bidder_id"],
            amount=Money(amount=row["amount"], currency=row["currency"]),
            placed_at=row["placed_at"],
            position=row["position"],
            flagged=bool(row["flagged"]),
            flag_score=row["flag_score"],
            flag_reason=row["flag_reason"],
        )


@strawberry.type
class ModelInfo:
    """One model an AI assessment used, pinned by the SHA-256 of its file."""

    name: str
    version: str
    sha256: str


@strawberry.type
class Verification:
    id: strawberry.ID
    product_id: strawberry.ID
    stage: VerificationStage
    image_hashes: list[str]
    notes: str
    ai_score: Decimal | None
    ai_model_name: str | None
    ai_model_version: str | None
    quality_grade: int | None = strawberry.field(description="the AI's quality grade, 1 to 5")
    ocr_text: str | None = strawberry.field(description="label text the OCR read")
    serial_match: bool | None = strawberry.field(
        description="whether the OCR'd serial number is the registered one"
    )
    models: list[ModelInfo] = strawberry.field(
        description="every model the AI assessment used (empty before it)"
    )
    input_hashes: list[str] = strawberry.field(
        description="SHA-256 of the evidence images the AI scored"
    )
    verdict: Verdict | None
    inspector_id: str | None
    requested_at: datetime
    concluded_at: datetime | None
    version: int
    position: int

    @classmethod
    def from_row(cls, row: Row) -> Verification:
        return cls(
            id=strawberry.ID(str(row["id"])),
            product_id=strawberry.ID(str(row["product_id"])),
            stage=VerificationStage(row["stage"]),
            image_hashes=list(row["image_hashes"]),
            notes=row["notes"],
            ai_score=row["ai_score"],
            ai_model_name=row["ai_model_name"],
            ai_model_version=row["ai_model_version"],
            quality_grade=row["ai_quality_grade"],
            ocr_text=row["ai_ocr_text"],
            serial_match=row["ai_serial_match"],
            models=[ModelInfo(**model) for model in json.loads(row["ai_models"] or "[]")],
            input_hashes=list(row["ai_input_hashes"] or ()),
            verdict=None if row["verdict"] is None else Verdict(row["verdict"]),
            inspector_id=row["inspector_id"],
            requested_at=row["requested_at"],
            concluded_at=row["concluded_at"],
            version=row["version"],
            position=row["position"],
        )


@strawberry.type
class Certificate:
    id: strawberry.ID
    product_id: strawberry.ID
    verification_id: strawberry.ID
    sku: str
    serial_number: str
    manufacturer: str
    product_name: str
    verdict: Verdict
    inspector_id: str
    ai_score: Decimal | None
    status: CertificateStatus
    issued_at: datetime
    revoked_at: datetime | None
    revocation_reason: str | None
    credential: str | None = strawberry.field(
        description="the signed W3C Verifiable Credential 2.0 (eddsa-jcs-2022) as JSON text, "
        "served also at /certificates/{id}.vc.json; null if issued before credentials"
    )
    credential_sha256: str | None = strawberry.field(
        description="hex SHA-256 of the credential's JCS form, recorded in the issuance event"
    )
    issuer_did: str | None = strawberry.field(description="the credential's issuer (did:key)")
    version: int
    position: int

    @classmethod
    def from_row(cls, row: Row) -> Certificate:
        return cls(
            id=strawberry.ID(str(row["id"])),
            product_id=strawberry.ID(str(row["product_id"])),
            verification_id=strawberry.ID(str(row["verification_id"])),
            sku=row["sku"],
            serial_number=row["serial_number"],
            manufacturer=row["manufacturer"],
            product_name=row["product_name"],
            verdict=Verdict(row["verdict"]),
            inspector_id=row["inspector_id"],
            ai_score=row["ai_score"],
            status=CertificateStatus(row["status"]),
            issued_at=row["issued_at"],
            revoked_at=row["revoked_at"],
            revocation_reason=row["revocation_reason"],
            credential=row["credential"],
            credential_sha256=row["credential_sha256"],
            issuer_did=issuer_of(row["credential"]),
            version=row["version"],
            position=row["position"],
        )

    @strawberry.field(  # type: ignore[untyped-decorator]
        description="C2SP tlog-proof of the issuance event in the audit log (its extra data is "
        "the event's envelope); null until a signed checkpoint covers it"
    )
    async def proof(self, info: Info[Any, None]) -> str | None:
        info.context.loaders.dependencies.forbid()  # the audit log moves without a version
        services = info.context.services
        return await issuance_proof(services.store, services.pool, UUID(str(self.id)))

    @strawberry.field
    async def product(self, info: Info[Any, None]) -> Product | None:
        row = await info.context.loaders.product.load(str(self.product_id))
        return None if row is None else Product.from_row(row)


@strawberry.type
class Product:
    id: strawberry.ID
    sku: str
    serial_number: str
    name: str
    manufacturer: str
    owner_id: str
    verification_status: VerificationStatus
    registered_at: datetime
    version: int
    position: int
    category: str | None = strawberry.field(
        description="as the manufacturer stated it (null: not stated)"
    )
    manufactured_on: date | None = strawberry.field(
        description="as the manufacturer stated it (null: not stated)"
    )
    latest_verification_id: strawberry.Private[str | None]
    open_auction_id: strawberry.Private[str | None]

    @classmethod
    def from_row(cls, row: Row) -> Product:
        return cls(
            id=strawberry.ID(str(row["id"])),
            sku=row["sku"],
            serial_number=row["serial_number"],
            name=row["name"],
            manufacturer=row["manufacturer"],
            owner_id=row["owner_id"],
            verification_status=VerificationStatus(row["verification_status"]),
            registered_at=row["registered_at"],
            version=row["version"],
            position=row["position"],
            category=row["category"],
            manufactured_on=row["manufactured_on"],
            latest_verification_id=_optional_id(row["latest_verification_id"]),
            open_auction_id=_optional_id(row["open_auction_id"]),
        )

    @strawberry.field
    async def certificates(self, info: Info[Any, None]) -> list[Certificate]:
        rows = await info.context.loaders.certificates_of_product.load(str(self.id))
        return [Certificate.from_row(row) for row in rows]

    @strawberry.field
    async def latest_verification(self, info: Info[Any, None]) -> Verification | None:
        if self.latest_verification_id is None:
            return None
        row = await info.context.loaders.verification.load(self.latest_verification_id)
        return None if row is None else Verification.from_row(row)

    @strawberry.field
    async def open_auction(self, info: Info[Any, None]) -> Auction | None:
        if self.open_auction_id is None:
            return None
        row = await info.context.loaders.auction.load(self.open_auction_id)
        return None if row is None else Auction.from_row(row)

    # A suggested reserve price (the price_estimate model, trained on synthetic data) from
    # the latest AI assessment and this manufacturer's recent sales (api/price_estimates.py).
    @strawberry.field
    async def price_estimate(self, info: Info[Any, None]) -> Money:
        info.context.loaders.dependencies.forbid()  # other auctions' sales move it
        verification = None
        if self.latest_verification_id is not None:
            verification = await info.context.loaders.verification.load(self.latest_verification_id)
        facts = {
            "name": self.name,
            "sku": self.sku,
            "manufacturer": self.manufacturer,
            "registered_at": self.registered_at,
            "category": self.category,
            "manufactured_on": self.manufactured_on,
        }
        services = info.context.services
        amount, currency = await estimate_price(
            services.pool, facts, verification, schema=services.read.schema
        )
        return Money(amount=amount, currency=currency)


@strawberry.type
class Auction:
    id: strawberry.ID
    product_id: strawberry.ID
    seller_id: str
    currency: str
    reserve_price: Money
    min_increment: Money
    starts_at: datetime
    opened_at: datetime
    closed_at: datetime | None
    winner_id: str | None
    version: int
    position: int
    row: strawberry.Private[Row]

    @classmethod
    def from_row(cls, row: Row) -> Auction:
        currency = row["currency"]
        return cls(
            id=strawberry.ID(str(row["id"])),
            product_id=strawberry.ID(str(row["product_id"])),
            seller_id=row["seller_id"],
            currency=currency,
            reserve_price=Money(amount=row["reserve_price"], currency=currency),
            min_increment=Money(amount=row["min_increment"], currency=currency),
            starts_at=row["starts_at"],
            opened_at=row["opened_at"],
            closed_at=row["closed_at"],
            winner_id=row["winner_id"],
            version=row["version"],
            position=row["position"],
            row=row,
        )

    async def _hot(self, info: Info[Any, None]) -> dict[str, Any]:
        """The hot fields, from Redis when it is at least as new as the SQL row."""
        live = await info.context.loaders.live_auction.load(str(self.id))
        if live and int(live.get("version", 0)) >= self.version:
            amount = live.get("highest_amount") or None
            return {
                "status": live["status"],
                "highest_amount": None if amount is None else Decimal(amount),
                "highest_bidder_id": live.get("highest_bidder_id") or None,
                "bid_count": int(live["bid_count"]),
                "ends_at": datetime.fromisoformat(live["ends_at"]),
            }
        return self.row

    @strawberry.field
    async def status(self, info: Info[Any, None]) -> AuctionStatus:
        return AuctionStatus((await self._hot(info))["status"])

    @strawberry.field
    async def ends_at(self, info: Info[Any, None]) -> datetime:
        ends_at: datetime = (await self._hot(info))["ends_at"]
        return ends_at

    @strawberry.field
    async def bid_count(self, info: Info[Any, None]) -> int:
        return int((await self._hot(info))["bid_count"])

    @strawberry.field(description="How many of its bids were flagged as suspicious.")  # type: ignore[untyped-decorator]
    def flagged_bid_count(self) -> int:
        return int(self.row["flagged_bid_count"] or 0)

    @strawberry.field
    async def highest_bid(self, info: Info[Any, None]) -> HighestBid | None:
        hot = await self._hot(info)
        if hot["highest_amount"] is None:
            return None
        return HighestBid(
            bidder_id=hot["highest_bidder_id"],
            amount=Money(amount=hot["highest_amount"], currency=self.currency),
        )

    @strawberry.field(description="Highest first; `first` up to 100.")  # type: ignore[untyped-decorator]
    async def bids(self, info: Info[Any, None], first: int | None = 10) -> list[Bid]:
        first = 10 if first is None else first
        if not 1 <= first <= MAX_PAGE:
            raise ValidationFailed(f"bids(first:) must be between 1 and {MAX_PAGE}")
        rows = await info.context.loaders.bids(first).load(str(self.id))
        return [Bid.from_row(row) for row in rows]

    @strawberry.field
    async def product(self, info: Info[Any, None]) -> Product | None:
        row = await info.context.loaders.product.load(str(self.product_id))
        return None if row is None else Product.from_row(row)


def _optional_id(value: object) -> str | None:
    return None if value is None else str(value)
