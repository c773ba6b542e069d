"""Builders for the unit tests: provenance with a controlled clock, aggregates in a given
state (their events already "saved"), and an in-memory world that runs command handlers."""

from __future__ import annotations

import copy
import hashlib
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID, uuid4

from commands.actor import Actor, Role
from commands.handlers import Outcome
from commands.messages import (
    Command,
    IssueCertificate,
    OpenAuction,
    RecordAIAssessment,
    RecordInspection,
    RegisterProduct,
    RequestVerification,
)
from commands.registry import HANDLERS
from commands.workspace import AnyAggregate, HandlerContext, Workspace
from domain.auction import Auction
from domain.certificate import Certificate
from domain.errors import DomainError
from domain.event_base import VeraEvent
from domain.product import Product
from domain.provenance import Provenance
from domain.statuses import Verdict, VerificationStatus
from domain.verification import Verification
from tests.support.certificate_issuer import fixed_issuer, issue_with_credential

A = TypeVar("A", bound=AnyAggregate)

T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
"""The tests' reference clock reading; every test derives its times from it."""
END = T0 + timedelta(hours=1)
"""The default scheduled end of the tests' auctions."""


def uid(prefix: str) -> str:
    """A random actor id, so no two tests share principals."""
    return f"{prefix}-{uuid4().hex[:12]}"


def prov(actor_id: str, now: datetime = T0) -> Provenance:
    return Provenance(actor_id, now, uuid4(), uuid4())


def image_hash() -> str:
    """A fresh lowercase SHA-256 hex digest."""
    return hashlib.sha256(os.urandom(16)).hexdigest()


def pending(aggregate: AnyAggregate) -> list[object]:
    """The aggregate's pending (unsaved) events, without taking them."""
    return list(aggregate.pending_events)


def saved(aggregate: A) -> A:
    """Take the aggregate's pending events, as the bus does once it saved them."""
    aggregate.collect_events()
    return aggregate


def event_types(events: list[object]) -> list[str]:
    return [type(e).__name__ for e in events]


# -- domain "given" states -----------------------------------------------------------------


def registered_product(owner: str | None = None, now: datetime = T0) -> Product:
    owner = owner or uid("maker")
    return saved(
        Product.register(
            sku=f"SKU-{uuid4().hex[:8]}",
            serial_number=f"SN-{uuid4().hex}",
            name="Chronograph 42",
            manufacturer=f"Maker {uuid4().hex[:6]}",
            prov=prov(owner, now),
        )
    )


def requested_verification(product: Product, now: datetime = T0) -> Verification:
    """A verification the owner requested; the product is PENDING."""
    verification = Verification.request(
        verification_id=uuid4(),
        product_id=product.id,
        image_hashes=[image_hash(), image_hash()],
        notes="",
        prov=prov(product.owner_id, now),
    )
    product.start_verification(verification.id, prov(product.owner_id, now))
    saved(product)
    return saved(verification)


def assessed(verification: Verification, now: datetime = T0) -> Verification:
    verification.record_ai_assessment(
        authenticity_score=Decimal("0.93"),
        model_name="vera-cnn",
        model_version="1.4.0",
        model_sha256=image_hash(),
        prov=prov("system-ai", now),
    )
    return saved(verification)


def concluded(
    product: Product,
    verification: Verification,
    verdict: Verdict,
    inspector: str = "inspector-1",
    now: datetime = T0,
) -> None:
    verification.record_inspection(verdict=verdict, notes="", prov=prov(inspector, now))
    product.conclude_verification(verification.id, VerificationStatus(verdict), prov(inspector))
    saved(verification)
    saved(product)


def product_with_verdict(verdict: Verdict, owner: str | None = None) -> Product:
    product = registered_product(owner)
    verification = assessed(requested_verification(product))
    concluded(product, verification, verdict)
    return product


def certified_product(owner: str | None = None) -> tuple[Product, Certificate]:
    product = product_with_verdict(Verdict.AUTHENTIC, owner)
    certificate = issued_certificate(product)
    product.attach_certificate(certificate.id, prov("inspector-1"))
    saved(product)
    return product, certificate


def issued_certificate(product: Product, issuer: str = "inspector-1") -> Certificate:
    verification_id = product.check_certifiable()
    return saved(
        issue_with_credential(
            certificate_id=uuid4(),
            product_id=product.id,
            sku=product.sku,
            serial_number=product.serial_number,
            manufacturer=product.manufacturer,
            product_name=product.name,
            verification_id=verification_id,
            verdict="AUTHENTIC",
            inspector_id="inspector-1",
            ai_score=Decimal("0.93"),
            ai_model_name="vera-cnn",
            ai_model_version="1.4.0",
            prov=prov(issuer),
        )
    )


@dataclass(frozen=True)
class AuctionTerms:
    reserve_price: Decimal = Decimal("100.00")
    min_increment: Decimal = Decimal("5.00")
    currency: str = "EUR"
    starts_at: datetime = T0
    ends_at: datetime = T0 + timedelta(hours=1)
    extension_window_seconds: int = 120
    extension_seconds: int = 120


def opened_auction(
    seller: str | None = None, terms: AuctionTerms | None = None, now: datetime = T0
) -> Auction:
    terms = terms or AuctionTerms()
    return saved(
        Auction.open(
            auction_id=uuid4(),
            product_id=uuid4(),
            reserve_price=terms.reserve_price,
            min_increment=terms.min_increment,
            currency=terms.currency,
            starts_at=terms.starts_at,
            ends_at=terms.ends_at,
            extension_window_seconds=terms.extension_window_seconds,
            extension_seconds=terms.extension_seconds,
            prov=prov(seller or uid("seller"), now),
        )
    )


def bid(auction: Auction, amount: str, bidder: str | None = None, **kw: Any) -> Any:
    now: datetime = kw.pop("now", T0 + timedelta(minutes=1))
    currency: str = kw.pop("currency", auction.currency)
    return auction.place_bid(
        amount=Decimal(amount), currency=currency, prov=prov(bidder or uid("bidder"), now)
    )


# -- handlers against an in-memory store ----------------------------------------------------


@dataclass
class Attempt:
    """What one handler call did: its outcome or error, and the workspace it ran in."""

    workspace: Workspace
    context: HandlerContext
    outcome: Outcome | None = None
    error: DomainError | None = None
    events: list[VeraEvent] = field(default_factory=list)


class World:
    """An event store stand-in: a dict of saved aggregates. Each command loads copies, as a
    real store replays fresh objects, and only an accepted command's aggregates are kept."""

    def __init__(self) -> None:
        self.store: dict[UUID, AnyAggregate] = {}

    def load(self, aggregate_id: UUID) -> AnyAggregate | None:
        found = self.store.get(aggregate_id)
        return None if found is None else copy.deepcopy(found)

    def put(self, *aggregates: AnyAggregate) -> None:
        for aggregate in aggregates:
            self.store[aggregate.id] = copy.deepcopy(saved(aggregate))

    def get(self, kind: type[A], aggregate_id: UUID) -> A:
        found = self.store[aggregate_id]
        assert isinstance(found, kind)
        return found

    def attempt(self, command: Command, actor: Actor, now: datetime = T0) -> Attempt:
        workspace = Workspace(load=self.load)
        context = HandlerContext(
            workspace, actor, prov(actor.id or "anonymous", now), fixed_issuer()
        )
        attempt = Attempt(workspace, context)
        try:
            attempt.outcome = HANDLERS[type(command)](command, context)
        except DomainError as error:
            attempt.error = error
            return attempt
        attempt.events = context.collect_events()
        for aggregate in workspace.aggregates.values():
            self.put(aggregate)
        return attempt

    def run(self, command: Command, actor: Actor, now: datetime = T0) -> Attempt:
        """Run a command that must be accepted."""
        attempt = self.attempt(command, actor, now)
        if attempt.error is not None:
            msg = f"{type(command).__name__} refused: {attempt.error.code} {attempt.error}"
            raise AssertionError(msg)
        return attempt

    def refuse(self, command: Command, actor: Actor, now: datetime = T0) -> DomainError:
        """Run a command that must be refused; check it left no pending events anywhere."""
        before = {key: copy.deepcopy(value.__dict__) for key, value in self.store.items()}
        attempt = self.attempt(command, actor, now)
        if attempt.error is None:
            msg = f"{type(command).__name__} was accepted; expected a refusal"
            raise AssertionError(msg)
        leftovers = {
            str(aggregate_id): event_types(pending(aggregate))
            for aggregate_id, aggregate in attempt.workspace.aggregates.items()
            if aggregate.pending_events
        }
        assert leftovers == {}, f"a refused command left pending events: {leftovers}"
        assert attempt.context.collect_events() == []
        after = {key: value.__dict__ for key, value in self.store.items()}
        assert after == before, "a refused command changed the store"
        return attempt.error

    # -- given states, built through the handlers themselves ------------------------------

    def registered(self, maker: Actor) -> UUID:
        outcome = self.run(
            RegisterProduct(
                sku=f"SKU-{uuid4().hex[:8]}",
                serial_number=f"SN-{uuid4().hex}",
                name="Chronograph 42",
                manufacturer=f"Maker {uuid4().hex[:6]}",
            ),
            maker,
        ).outcome
        assert outcome is not None
        return UUID(outcome.ids["productId"])

    def verification_requested(self, product_id: UUID, owner: Actor) -> UUID:
        command = RequestVerification(product_id=product_id, image_hashes=(image_hash(),))
        outcome = self.run(command, owner).outcome
        assert outcome is not None
        return UUID(outcome.ids["verificationId"])

    def ai_assessed(self, verification_id: UUID) -> None:
        self.run(
            RecordAIAssessment(
                verification_id=verification_id,
                authenticity_score=Decimal("0.87"),
                model_name="vera-cnn",
                model_version="1.4.0",
                model_sha256=image_hash(),
            ),
            SYSTEM,
        )

    def inspected(self, verification_id: UUID, verdict: Verdict, inspector: Actor) -> None:
        self.run(RecordInspection(verification_id=verification_id, verdict=verdict), inspector)

    def verified(self, maker: Actor, verdict: Verdict, inspector: Actor) -> tuple[UUID, UUID]:
        product_id = self.registered(maker)
        verification_id = self.verification_requested(product_id, maker)
        self.ai_assessed(verification_id)
        self.inspected(verification_id, verdict, inspector)
        return product_id, verification_id

    def certified(self, maker: Actor, inspector: Actor) -> tuple[UUID, UUID]:
        product_id, _ = self.verified(maker, Verdict.AUTHENTIC, inspector)
        outcome = self.run(IssueCertificate(product_id=product_id), inspector).outcome
        assert outcome is not None
        return product_id, UUID(outcome.ids["certificateId"])

    def auction_opened(
        self,
        maker: Actor,
        inspector: Actor,
        *,
        ends_at: datetime = T0 + timedelta(hours=1),
    ) -> tuple[UUID, UUID]:
        product_id, _ = self.certified(maker, inspector)
        command = OpenAuction(
            product_id=product_id,
            reserve_price=Decimal("100.00"),
            min_increment=Decimal("5.00"),
            currency="EUR",
            starts_at=T0,
            ends_at=ends_at,
        )
        outcome = self.run(command, maker).outcome
        assert outcome is not None
        return product_id, UUID(outcome.ids["auctionId"])


SYSTEM = Actor.of("system-ai", Role.SYSTEM)
ANONYMOUS = Actor("", frozenset())
"""What the API hands over for a request without a (valid) token."""


def actor(role: Role, *more: Role) -> Actor:
    return Actor.of(uid(role.value), role, *more)
