"""One command dataclass per operation. Amounts arrive as Decimal; times as aware datetimes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from domain.statuses import Verdict
from domain.verification import ModelRef


@dataclass(frozen=True, kw_only=True)
class Command:
    """Base of all commands. A repeated idempotency key returns the first result."""

    idempotency_key: str | None = None


@dataclass(frozen=True, kw_only=True)
class RegisterProduct(Command):
    sku: str
    serial_number: str
    name: str
    manufacturer: str
    category: str | None = None  # one of domain.product_attributes.PRODUCT_CATEGORIES
    manufactured_on: date | None = None


@dataclass(frozen=True, kw_only=True)
class RequestVerification(Command):
    product_id: UUID
    image_hashes: tuple[str, ...]
    notes: str = ""


@dataclass(frozen=True, kw_only=True)
class RecordAIAssessment(Command):
    verification_id: UUID
    authenticity_score: Decimal
    model_name: str
    model_version: str
    model_sha256: str
    quality_grade: int | None = None  # 1..5
    ocr_text: str | None = None
    serial_match: bool | None = None  # the OCR'd serial equals the registered one
    models: tuple[ModelRef, ...] | None = None  # every model used; default: the one above
    input_hashes: tuple[str, ...] = ()  # the evidence SHA-256s scored


@dataclass(frozen=True, kw_only=True)
class RecordInspection(Command):
    verification_id: UUID
    verdict: Verdict
    notes: str = ""


@dataclass(frozen=True, kw_only=True)
class IssueCertificate(Command):
    product_id: UUID


@dataclass(frozen=True, kw_only=True)
class RevokeCertificate(Command):
    certificate_id: UUID
    reason: str


@dataclass(frozen=True, kw_only=True)
class OpenAuction(Command):
    product_id: UUID
    reserve_price: Decimal
    min_increment: Decimal
    currency: str
    starts_at: datetime
    ends_at: datetime
    extension_window_seconds: int | None = None
    extension_seconds: int | None = None


@dataclass(frozen=True, kw_only=True)
class PlaceBid(Command):
    auction_id: UUID
    amount: Decimal
    currency: str | None = None  # defaults to the auction's currency


@dataclass(frozen=True, kw_only=True)
class FlagBid(Command):
    """A scoring agent (SYSTEM) or an admin marks a bid as suspicious, once."""

    auction_id: UUID
    bid_id: UUID
    score: Decimal
    threshold: Decimal
    reason: str
    model_name: str
    model_version: str
    model_sha256: str


@dataclass(frozen=True, kw_only=True)
class CloseAuction(Command):
    auction_id: UUID


@dataclass(frozen=True, kw_only=True)
class CancelAuction(Command):
    auction_id: UUID
    reason: str = field(default="cancelled by the seller")
