"""The Mutation root: each mutation is one command through the process's command bus (so
concurrent requests are group-committed), authorized by the caller's token. Payloads carry
the global `position` of the command's last event, which a client passes back as
`minPosition` to read its own write."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import strawberry
from opentelemetry import trace
from strawberry.types import Info

from api.contacts import ContactMutations
from api.ids import parse_id
from commands.actor import require_role
from commands.evidence import require_known_evidence
from commands.handlers import VERIFICATION_REQUESTERS
from commands.messages import (
    CloseAuction,
    Command,
    FlagBid,
    IssueCertificate,
    OpenAuction,
    PlaceBid,
    RecordAIAssessment,
    RecordInspection,
    RegisterProduct,
    RequestVerification,
    RevokeCertificate,
)
from commands.results import CommandResult
from domain.product_attributes import PRODUCT_CATEGORIES
from domain.statuses import Verdict

_tracer = trace.get_tracer("verachain.commands")


@strawberry.input
class RegisterProductInput:
    sku: str
    serial_number: str
    name: str
    manufacturer: str
    # Optional: the price estimate infers what is not stated (api/price_estimates.py).
    category: str | None = strawberry.field(
        default=None,
        description=f"one of: {', '.join(PRODUCT_CATEGORIES)}",
    )
    manufactured_on: date | None = strawberry.field(
        default=None, description="not in the future, not before 1900"
    )


@strawberry.input
class EvidenceInput:
    image_hashes: list[str]
    notes: str | None = None


@strawberry.input
class OpenAuctionInput:
    product_id: strawberry.ID
    reserve_price: Decimal
    min_increment: Decimal
    currency: str
    starts_at: datetime
    ends_at: datetime
    # Anti-sniping: a bid this close to the end extends it (defaults: 120 s and 120 s).
    extension_window_seconds: int | None = None
    extension_seconds: int | None = None


@strawberry.input(description="One model an AI assessment used.")
class ModelInput:
    name: str
    version: str
    sha256: str


@strawberry.type
class ProductPayload:
    position: int
    product_id: strawberry.ID


@strawberry.type
class VerificationPayload:
    position: int
    verification_id: strawberry.ID
    product_id: strawberry.ID

    @classmethod
    def of(cls, result: CommandResult) -> VerificationPayload:
        return cls(
            position=result.position,
            verification_id=_id(result, "verificationId"),
            product_id=_id(result, "productId"),
        )


@strawberry.type
class CertificatePayload:
    position: int
    certificate_id: strawberry.ID
    product_id: strawberry.ID


@strawberry.type
class AuctionPayload:
    position: int
    auction_id: strawberry.ID
    product_id: strawberry.ID | None


@strawberry.type
class BidPayload:
    position: int
    auction_id: strawberry.ID
    bid_id: strawberry.ID
    replayed: bool


async def _dispatch(info: Info[Any, None], command: Command) -> CommandResult:
    """The command in a span of its own; its events' correlation id is the trace id and
    their causation id the span id, so the `traceparent` the relay derives from them
    (streams/trace_context.py) continues this very trace on Kafka and in the workers."""
    context = info.context
    actor = context.require_actor()
    with _tracer.start_as_current_span(f"command {type(command).__name__}") as span:
        span_context = span.get_span_context()
        correlation = causation = None
        if span_context.is_valid:
            correlation = UUID(int=span_context.trace_id)
            causation = UUID(int=span_context.span_id)
        result: CommandResult = await context.services.bus.dispatch(
            command, actor, correlation_id=correlation, causation_id=causation
        )
        span.set_attribute("verachain.position", result.position)
        return result


def _uuid(value: str, name: str) -> UUID:
    return UUID(parse_id(value, name))


def _id(result: CommandResult, name: str) -> strawberry.ID:
    return strawberry.ID(result.ids[name])


@strawberry.type
class Mutation(ContactMutations):
    @strawberry.mutation
    async def register_product(
        self, info: Info[Any, None], input: RegisterProductInput
    ) -> ProductPayload:
        result = await _dispatch(
            info,
            RegisterProduct(
                sku=input.sku,
                serial_number=input.serial_number,
                name=input.name,
                manufacturer=input.manufacturer,
                category=input.category,
                manufactured_on=input.manufactured_on,
            ),
        )
        return ProductPayload(position=result.position, product_id=_id(result, "productId"))

    @strawberry.mutation
    async def request_verification(
        self, info: Info[Any, None], product_id: strawberry.ID, evidence: EvidenceInput
    ) -> VerificationPayload:
        command = RequestVerification(
            product_id=_uuid(product_id, "productId"),
            image_hashes=tuple(evidence.image_hashes),
            notes=evidence.notes or "",
        )
        # Who asks first (a caller without the role learns nothing of what was uploaded),
        # then one query for all the hashes here, not one per command in the bus's batch
        # (commands/evidence.py says why).
        require_role(
            info.context.require_actor(),
            *VERIFICATION_REQUESTERS,
            action="requesting a verification",
        )
        await require_known_evidence(info.context.services.evidence, command.image_hashes)
        return VerificationPayload.of(await _dispatch(info, command))

    @strawberry.mutation(
        description="Admin (or the AI agent's system identity) records an AI assessment."
    )  # type: ignore[untyped-decorator]
    async def record_ai_assessment(
        self,
        info: Info[Any, None],
        *,
        verification_id: strawberry.ID,
        authenticity_score: Decimal,
        model_name: str,
        model_version: str,
        model_sha256: str,
        quality_grade: int | None = None,
        ocr_text: str | None = None,
        serial_match: bool | None = None,
        models: list[ModelInput] | None = None,
        input_hashes: list[str] | None = None,
    ) -> VerificationPayload:
        command = RecordAIAssessment(
            verification_id=_uuid(verification_id, "verificationId"),
            authenticity_score=authenticity_score,
            model_name=model_name,
            model_version=model_version,
            model_sha256=model_sha256,
            quality_grade=quality_grade,
            ocr_text=ocr_text,
            serial_match=serial_match,
            models=None
            if models is None
            else tuple({"name": m.name, "version": m.version, "sha256": m.sha256} for m in models),
            input_hashes=tuple(input_hashes or ()),
        )
        return VerificationPayload.of(await _dispatch(info, command))

    @strawberry.mutation
    async def record_inspection(
        self,
        info: Info[Any, None],
        verification_id: strawberry.ID,
        verdict: Verdict,
        notes: str | None = None,
    ) -> VerificationPayload:
        command = RecordInspection(
            verification_id=_uuid(verification_id, "verificationId"),
            verdict=verdict,
            notes=notes or "",
        )
        return VerificationPayload.of(await _dispatch(info, command))

    @strawberry.mutation
    async def issue_certificate(
        self, info: Info[Any, None], product_id: strawberry.ID
    ) -> CertificatePayload:
        result = await _dispatch(info, IssueCertificate(product_id=_uuid(product_id, "productId")))
        return CertificatePayload(
            position=result.position,
            certificate_id=_id(result, "certificateId"),
            product_id=_id(result, "productId"),
        )

    @strawberry.mutation
    async def revoke_certificate(
        self, info: Info[Any, None], certificate_id: strawberry.ID, reason: str
    ) -> CertificatePayload:
        command = RevokeCertificate(
            certificate_id=_uuid(certificate_id, "certificateId"), reason=reason
        )
        result = await _dispatch(info, command)
        return CertificatePayload(
            position=result.position,
            certificate_id=_id(result, "certificateId"),
            product_id=_id(result, "productId"),
        )

    @strawberry.mutation
    async def open_auction(self, info: Info[Any, None], input: OpenAuctionInput) -> AuctionPayload:
        command = OpenAuction(
            product_id=_uuid(input.product_id, "productId"),
            reserve_price=input.reserve_price,
            min_increment=input.min_increment,
            currency=input.currency,
            starts_at=input.starts_at,
            ends_at=input.ends_at,
            extension_window_seconds=input.extension_window_seconds,
            extension_seconds=input.extension_seconds,
        )
        result = await _dispatch(info, command)
        return AuctionPayload(
            position=result.position,
            auction_id=_id(result, "auctionId"),
            product_id=_id(result, "productId"),
        )

    @strawberry.mutation
    async def place_bid(
        self,
        info: Info[Any, None],
        auction_id: strawberry.ID,
        amount: Decimal,
        idempotency_key: str | None = None,
    ) -> BidPayload:
        command = PlaceBid(
            auction_id=_uuid(auction_id, "auctionId"),
            amount=amount,
            idempotency_key=idempotency_key,
        )
        result = await _dispatch(info, command)
        return BidPayload(
            position=result.position,
            auction_id=_id(result, "auctionId"),
            bid_id=_id(result, "bidId"),
            replayed=result.replayed,
        )

    @strawberry.mutation(
        description="Admin (or the bid scorer's system identity) flags a bid as suspicious, "
        "once: a second flag of the same bid is refused (VALIDATION_FAILED)."
    )  # type: ignore[untyped-decorator]
    async def flag_bid(
        self,
        info: Info[Any, None],
        *,
        auction_id: strawberry.ID,
        bid_id: strawberry.ID,
        score: Decimal,
        threshold: Decimal,
        reason: str,
        model_name: str,
        model_version: str,
        model_sha256: str,
    ) -> BidPayload:
        command = FlagBid(
            auction_id=_uuid(auction_id, "auctionId"),
            bid_id=_uuid(bid_id, "bidId"),
            score=score,
            threshold=threshold,
            reason=reason,
            model_name=model_name,
            model_version=model_version,
            model_sha256=model_sha256,
        )
        result = await _dispatch(info, command)
        return BidPayload(
            position=result.position,
            auction_id=_id(result, "auctionId"),
            bid_id=_id(result, "bidId"),
            replayed=result.replayed,
        )

    @strawberry.mutation
    async def close_auction(
        self, info: Info[Any, None], auction_id: strawberry.ID
    ) -> AuctionPayload:
        result = await _dispatch(info, CloseAuction(auction_id=_uuid(auction_id, "auctionId")))
        product_id = result.ids.get("productId")
        return AuctionPayload(
            position=result.position,
            auction_id=_id(result, "auctionId"),
            product_id=None if product_id is None else strawberry.ID(product_id),
        )
