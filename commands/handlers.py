"""One handler per command. Handlers check rules and decide; they never save.

Every handler checks everything that can fail before it changes any aggregate, so a
refused command leaves the batch's aggregates exactly as it found them."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID, uuid4

from commands.actor import Role, require_role
from commands.credentials import CertificateClaims
from commands.messages import (
    CancelAuction,
    CloseAuction,
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
from commands.workspace import HandlerContext
from domain.auction import DEFAULT_EXTENSION_SECONDS, DEFAULT_EXTENSION_WINDOW_SECONDS, Auction
from domain.certificate import Certificate
from domain.errors import Forbidden, InvalidTransition
from domain.product import Product, product_id_for
from domain.statuses import AuctionStatus, VerificationStatus
from domain.verification import Verification


@dataclass(frozen=True, slots=True)
class Outcome:
    """The ids a command created or changed, and the aggregate whose version it reports."""

    ids: dict[str, str]
    main_aggregate_id: UUID


def register_product(cmd: RegisterProduct, ctx: HandlerContext) -> Outcome:
    require_role(ctx.actor, Role.MANUFACTURER, action="registering a product")
    existing = ctx.find(Product, product_id_for(cmd.manufacturer, cmd.serial_number))
    if existing is not None:
        existing.refuse_duplicate()
    product = ctx.add(
        Product.register(
            sku=cmd.sku,
            serial_number=cmd.serial_number,
            name=cmd.name,
            manufacturer=cmd.manufacturer,
            prov=ctx.prov,
            category=cmd.category,
            manufactured_on=cmd.manufactured_on,
        )
    )
    return Outcome({"productId": str(product.id)}, product.id)


# Also checked by the API before it looks the evidence up, so a caller without the role is
# told FORBIDDEN, not what was uploaded.
VERIFICATION_REQUESTERS = (Role.MANUFACTURER, Role.BIDDER, Role.ADMIN)


def request_verification(cmd: RequestVerification, ctx: HandlerContext) -> Outcome:
    actor = require_role(ctx.actor, *VERIFICATION_REQUESTERS, action="requesting a verification")
    product = ctx.get(Product, cmd.product_id)
    if not actor.has_any(Role.ADMIN):
        product.check_owner(actor.id, what="request its verification")
    product.check_can_request_verification()
    verification = ctx.add(
        Verification.request(
            verification_id=uuid4(),
            product_id=product.id,
            image_hashes=list(cmd.image_hashes),
            notes=cmd.notes,
            prov=ctx.prov,
        )
    )
    product.start_verification(verification.id, ctx.prov)
    return Outcome(
        {"verificationId": str(verification.id), "productId": str(product.id)}, verification.id
    )


def record_ai_assessment(cmd: RecordAIAssessment, ctx: HandlerContext) -> Outcome:
    require_role(ctx.actor, Role.SYSTEM, Role.ADMIN, action="recording an AI assessment")
    verification = ctx.get(Verification, cmd.verification_id)
    verification.record_ai_assessment(
        authenticity_score=cmd.authenticity_score,
        model_name=cmd.model_name,
        model_version=cmd.model_version,
        model_sha256=cmd.model_sha256,
        quality_grade=cmd.quality_grade,
        ocr_text=cmd.ocr_text,
        serial_match=cmd.serial_match,
        models=None if cmd.models is None else list(cmd.models),
        input_hashes=list(cmd.input_hashes),
        prov=ctx.prov,
    )
    ids = {"verificationId": str(verification.id), "productId": str(verification.product_id)}
    return Outcome(ids, verification.id)


def record_inspection(cmd: RecordInspection, ctx: HandlerContext) -> Outcome:
    require_role(ctx.actor, Role.INSPECTOR, action="recording an inspection")
    verification = ctx.get(Verification, cmd.verification_id)
    product = ctx.get(Product, verification.product_id)
    if product.latest_verification_id != verification.id:
        raise InvalidTransition("a newer verification of this product exists")
    verification.record_inspection(verdict=cmd.verdict, notes=cmd.notes, prov=ctx.prov)
    product.conclude_verification(verification.id, VerificationStatus(cmd.verdict), ctx.prov)
    ids = {"verificationId": str(verification.id), "productId": str(product.id)}
    return Outcome(ids, verification.id)


def issue_certificate(cmd: IssueCertificate, ctx: HandlerContext) -> Outcome:
    require_role(ctx.actor, Role.INSPECTOR, Role.ADMIN, action="issuing a certificate")
    product = ctx.get(Product, cmd.product_id)
    verification = ctx.get(Verification, product.check_certifiable())
    if verification.verdict is None or verification.inspector_id is None:
        raise InvalidTransition("the verification has no inspector's verdict")
    # The credential states exactly what the event records, at the event's own time.
    claims = CertificateClaims(
        certificate_id=uuid4(),
        product_id=product.id,
        sku=product.sku,
        serial_number=product.serial_number,
        manufacturer=product.manufacturer,
        product_name=product.name,
        verification_id=verification.id,
        verdict=verification.verdict.value,
        inspector_id=verification.inspector_id,
        ai_score=verification.ai_score,
        ai_model_name=verification.ai_model_name,
        ai_model_version=verification.ai_model_version,
        issued_at=ctx.prov.now,
    )
    credential = ctx.credentials.issue(claims)
    certificate = ctx.add(
        Certificate.issue(
            certificate_id=claims.certificate_id,
            product_id=claims.product_id,
            sku=claims.sku,
            serial_number=claims.serial_number,
            manufacturer=claims.manufacturer,
            product_name=claims.product_name,
            verification_id=claims.verification_id,
            verdict=claims.verdict,
            inspector_id=claims.inspector_id,
            ai_score=claims.ai_score,
            ai_model_name=claims.ai_model_name,
            ai_model_version=claims.ai_model_version,
            credential=credential.json,
            credential_sha256=credential.sha256,
            prov=ctx.prov,
        )
    )
    product.attach_certificate(certificate.id, ctx.prov)
    ids = {"certificateId": str(certificate.id), "productId": str(product.id)}
    return Outcome(ids, certificate.id)


def revoke_certificate(cmd: RevokeCertificate, ctx: HandlerContext) -> Outcome:
    require_role(ctx.actor, Role.INSPECTOR, Role.ADMIN, action="revoking a certificate")
    certificate = ctx.get(Certificate, cmd.certificate_id)
    product = ctx.get(Product, certificate.product_id)
    certificate.revoke(cmd.reason, ctx.prov)
    product.withdraw_certificate(certificate.id, ctx.prov)
    ids = {"certificateId": str(certificate.id), "productId": str(product.id)}
    return Outcome(ids, certificate.id)


def open_auction(cmd: OpenAuction, ctx: HandlerContext) -> Outcome:
    actor = require_role(
        ctx.actor, Role.MANUFACTURER, Role.BIDDER, Role.ADMIN, action="opening an auction"
    )
    product = ctx.get(Product, cmd.product_id)
    product.check_listable(actor.id)
    auction = ctx.add(
        Auction.open(
            auction_id=uuid4(),
            product_id=product.id,
            reserve_price=cmd.reserve_price,
            min_increment=cmd.min_increment,
            currency=cmd.currency,
            starts_at=cmd.starts_at,
            ends_at=cmd.ends_at,
            extension_window_seconds=(
                DEFAULT_EXTENSION_WINDOW_SECONDS
                if cmd.extension_window_seconds is None
                else cmd.extension_window_seconds
            ),
            extension_seconds=(
                DEFAULT_EXTENSION_SECONDS
                if cmd.extension_seconds is None
                else cmd.extension_seconds
            ),
            prov=ctx.prov,
        )
    )
    product.list_in(auction.id, ctx.prov)
    return Outcome({"auctionId": str(auction.id), "productId": str(product.id)}, auction.id)


def place_bid(cmd: PlaceBid, ctx: HandlerContext) -> Outcome:
    require_role(ctx.actor, Role.BIDDER, action="bidding")
    auction = ctx.get(Auction, cmd.auction_id)
    bid_id = auction.place_bid(
        amount=cmd.amount, currency=cmd.currency or auction.currency, prov=ctx.prov
    )
    return Outcome({"auctionId": str(auction.id), "bidId": str(bid_id)}, auction.id)


def flag_bid(cmd: FlagBid, ctx: HandlerContext) -> Outcome:
    require_role(ctx.actor, Role.SYSTEM, Role.ADMIN, action="flagging a bid")
    auction = ctx.get(Auction, cmd.auction_id)
    auction.flag_bid(
        bid_id=cmd.bid_id,
        score=cmd.score,
        threshold=cmd.threshold,
        reason=cmd.reason,
        model_name=cmd.model_name,
        model_version=cmd.model_version,
        model_sha256=cmd.model_sha256,
        prov=ctx.prov,
    )
    return Outcome({"auctionId": str(auction.id), "bidId": str(cmd.bid_id)}, auction.id)


def close_auction(cmd: CloseAuction, ctx: HandlerContext) -> Outcome:
    actor = require_role(
        ctx.actor,
        Role.MANUFACTURER,
        Role.BIDDER,
        Role.ADMIN,
        Role.SYSTEM,
        action="closing an auction",
    )
    auction = ctx.get(Auction, cmd.auction_id)
    if not actor.has_any(Role.ADMIN, Role.SYSTEM) and actor.id != auction.seller_id:
        raise Forbidden("only the seller, an admin or the auction timer may close an auction")
    product = ctx.get(Product, auction.product_id)
    auction.check_closable(ctx.prov.now)
    if product.open_auction_id != auction.id:
        raise InvalidTransition("the product is not listed in this auction")
    auction.close(ctx.prov)
    if auction.winner_id is not None and auction.highest_amount is not None:
        product.transfer_to(
            auction.winner_id, auction.id, auction.highest_amount, auction.currency, ctx.prov
        )
    else:
        product.unlist(auction.id, "UNSOLD", ctx.prov)
    return Outcome({"auctionId": str(auction.id), "productId": str(product.id)}, auction.id)


def cancel_auction(cmd: CancelAuction, ctx: HandlerContext) -> Outcome:
    actor = require_role(
        ctx.actor, Role.MANUFACTURER, Role.BIDDER, Role.ADMIN, action="cancelling an auction"
    )
    auction = ctx.get(Auction, cmd.auction_id)
    if not actor.has_any(Role.ADMIN) and actor.id != auction.seller_id:
        raise Forbidden("only the seller or an admin may cancel an auction")
    product = ctx.get(Product, auction.product_id)
    auction.check_cancellable()
    auction.cancel(cmd.reason, ctx.prov)
    product.unlist(auction.id, AuctionStatus.CANCELLED.value, ctx.prov)
    return Outcome({"auctionId": str(auction.id), "productId": str(product.id)}, auction.id)
