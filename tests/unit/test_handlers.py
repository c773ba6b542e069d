"""Command handlers against an in-memory store: authorization, lookups, the cross-aggregate
effects, and that a refused command leaves every aggregate it touched unchanged."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TypeVar
from uuid import UUID, uuid4

import pytest

from commands import messages
from commands.actor import Actor, Role
from commands.messages import (
    CancelAuction,
    CloseAuction,
    Command,
    IssueCertificate,
    OpenAuction,
    PlaceBid,
    RecordAIAssessment,
    RecordInspection,
    RegisterProduct,
    RequestVerification,
    RevokeCertificate,
)
from commands.registry import HANDLERS
from commands.workspace import HandlerContext, Workspace
from domain.auction import Auction
from domain.certificate import Certificate
from domain.errors import DuplicateProduct
from domain.event_base import VeraEvent
from domain.product import Product
from domain.statuses import (
    AuctionStatus,
    CertificateStatus,
    Verdict,
    VerificationStage,
    VerificationStatus,
)
from domain.verification import Verification
from tests.unit.support import (
    ANONYMOUS,
    SYSTEM,
    T0,
    World,
    actor,
    image_hash,
    prov,
    saved,
)

END = T0 + timedelta(hours=1)
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


# -- registry and authorization ------------------------------------------------------------


def test_every_command_type_has_exactly_one_registered_handler() -> None:
    command_types = {
        value
        for value in vars(messages).values()
        if inspect.isclass(value) and issubclass(value, Command) and value is not Command
    }
    assert command_types == set(HANDLERS)
    assert len(set(HANDLERS.values())) == len(HANDLERS)


ROLES_ALLOWED: dict[type[Command], frozenset[Role]] = {
    RegisterProduct: frozenset({Role.MANUFACTURER}),
    RequestVerification: frozenset({Role.MANUFACTURER, Role.BIDDER, Role.ADMIN}),
    RecordAIAssessment: frozenset({Role.SYSTEM, Role.ADMIN}),
    RecordInspection: frozenset({Role.INSPECTOR}),
    IssueCertificate: frozenset({Role.INSPECTOR, Role.ADMIN}),
    RevokeCertificate: frozenset({Role.INSPECTOR, Role.ADMIN}),
    OpenAuction: frozenset({Role.MANUFACTURER, Role.BIDDER, Role.ADMIN}),
    PlaceBid: frozenset({Role.BIDDER}),
    CloseAuction: frozenset({Role.MANUFACTURER, Role.BIDDER, Role.ADMIN, Role.SYSTEM}),
    CancelAuction: frozenset({Role.MANUFACTURER, Role.BIDDER, Role.ADMIN}),
}


def command_on_unknown_ids(kind: type[Command]) -> Command:
    unknown = uuid4()
    commands: dict[type[Command], Command] = {
        RegisterProduct: register_command(),
        RequestVerification: RequestVerification(product_id=unknown, image_hashes=(image_hash(),)),
        RecordAIAssessment: ai_command(unknown),
        RecordInspection: RecordInspection(verification_id=unknown, verdict=Verdict.AUTHENTIC),
        IssueCertificate: IssueCertificate(product_id=unknown),
        RevokeCertificate: RevokeCertificate(certificate_id=unknown, reason="fraud"),
        OpenAuction: open_command(unknown),
        PlaceBid: PlaceBid(auction_id=unknown, amount=Decimal("100")),
        CloseAuction: CloseAuction(auction_id=unknown),
        CancelAuction: CancelAuction(auction_id=unknown),
    }
    return commands[kind]


def test_the_role_table_covers_every_command() -> None:
    assert set(ROLES_ALLOWED) == set(HANDLERS)


@pytest.mark.parametrize("kind", list(ROLES_ALLOWED), ids=lambda k: k.__name__)
def test_a_caller_without_an_identity_is_unauthenticated(kind: type[Command]) -> None:
    world = World()
    error = world.refuse(command_on_unknown_ids(kind), ANONYMOUS)
    assert error.code == "UNAUTHENTICATED"
    # Roles do not help a caller without an id.
    error = world.refuse(command_on_unknown_ids(kind), Actor("", frozenset(Role)))
    assert error.code == "UNAUTHENTICATED"


@pytest.mark.parametrize("role", list(Role), ids=str)
@pytest.mark.parametrize("kind", list(ROLES_ALLOWED), ids=lambda k: k.__name__)
def test_roles_are_checked_before_anything_is_looked_up(kind: type[Command], role: Role) -> None:
    world = World()
    command = command_on_unknown_ids(kind)
    caller = actor(role)
    if role not in ROLES_ALLOWED[kind]:
        assert world.refuse(command, caller).code == "FORBIDDEN"
    elif kind is RegisterProduct:
        assert world.run(command, caller).events
    else:
        assert world.refuse(command, caller).code == "NOT_FOUND"


def test_an_id_of_another_kind_of_aggregate_is_not_found() -> None:
    cast = Cast()
    world = World()
    product_id = world.registered(cast.maker)
    error = world.refuse(PlaceBid(auction_id=product_id, amount=Decimal("100")), cast.bidder)
    assert error.code == "NOT_FOUND"
    assert error.details["id"] == str(product_id)


# -- registration ----------------------------------------------------------------------------


def test_register_product_records_the_product_owned_by_the_manufacturer() -> None:
    cast = Cast()
    world = World()

    attempt = world.run(register_command(), cast.maker)

    assert attempt.outcome is not None
    product_id = UUID(attempt.outcome.ids["productId"])
    assert attempt.outcome.main_aggregate_id == product_id
    assert topics(attempt.events) == ["ProductRegistered"]
    assert attempt.events[0].actor == cast.maker.id
    assert world.get(Product, product_id).owner_id == cast.maker.id


def test_registering_the_same_serial_twice_is_a_duplicate() -> None:
    cast = Cast()
    world = World()
    serial = f"SN-{uuid4().hex}"
    world.run(register_command("Acme", serial), cast.maker)

    error = world.refuse(register_command(" Acme ", f" {serial} "), cast.other_maker)

    assert isinstance(error, DuplicateProduct)
    assert error.code == "VALIDATION_FAILED"


def test_the_same_serial_of_another_manufacturer_is_a_different_product() -> None:
    cast = Cast()
    world = World()
    serial = f"SN-{uuid4().hex}"
    world.run(register_command("Acme", serial), cast.maker)
    attempt = world.run(register_command("Globex", serial), cast.maker)
    assert topics(attempt.events) == ["ProductRegistered"]


def test_a_duplicate_inside_one_batch_is_refused_before_it_is_saved() -> None:
    cast = Cast()
    workspace = Workspace(load=lambda _id: None)
    command = register_command()
    first = HandlerContext(workspace, cast.maker, prov(cast.maker.id))
    HANDLERS[RegisterProduct](command, first)
    # The batch takes each accepted command's events before it runs the next one.
    assert topics(first.collect_events()) == ["ProductRegistered"]
    second = HandlerContext(workspace, cast.maker, prov(cast.maker.id))

    with pytest.raises(DuplicateProduct):
        HANDLERS[RegisterProduct](command, second)

    assert second.collect_events() == []
    assert len(workspace.aggregates) == 1


# -- verification ----------------------------------------------------------------------------


def test_the_owner_requests_a_verification_and_the_product_becomes_pending() -> None:
    cast = Cast()
    world = World()
    product_id = world.registered(cast.maker)

    attempt = world.run(
        RequestVerification(product_id=product_id, image_hashes=(image_hash(), image_hash())),
        cast.maker,
    )

    assert attempt.outcome is not None
    verification_id = UUID(attempt.outcome.ids["verificationId"])
    assert attempt.outcome.main_aggregate_id == verification_id
    assert topics(attempt.events) == ["ProductVerificationStatusChanged", "VerificationRequested"]
    product = world.get(Product, product_id)
    assert product.verification_status is VerificationStatus.PENDING
    assert product.latest_verification_id == verification_id
    assert world.get(Verification, verification_id).product_id == product_id


def test_only_the_owner_requests_a_verification() -> None:
    cast = Cast()
    world = World()
    product_id = world.registered(cast.maker)
    command = RequestVerification(product_id=product_id, image_hashes=(image_hash(),))
    assert world.refuse(command, cast.other_maker).code == "FORBIDDEN"
    assert world.refuse(command, cast.bidder).code == "FORBIDDEN"


def test_an_admin_may_request_a_verification_of_any_product() -> None:
    cast = Cast()
    world = World()
    product_id = world.registered(cast.maker)
    command = RequestVerification(product_id=product_id, image_hashes=(image_hash(),))
    attempt = world.run(command, cast.admin)
    changed = only(attempt.events, Product.VerificationStatusChanged)
    assert changed.status == "PENDING"
    assert only(attempt.events, Verification.Requested).requested_by == cast.admin.id


def test_the_system_and_admins_record_ai_assessments() -> None:
    cast = Cast()
    world = World()
    product_id = world.registered(cast.maker)
    for recorder in (SYSTEM, cast.admin):
        verification_id = world.verification_requested(product_id, cast.maker)
        attempt = world.run(ai_command(verification_id), recorder)
        assert topics(attempt.events) == ["AIAssessmentRecorded"]
        assert attempt.outcome is not None
        assert attempt.outcome.ids["productId"] == str(product_id)
        verification = world.get(Verification, verification_id)
        assert verification.stage is VerificationStage.AWAITING_INSPECTION
        world.inspected(verification_id, Verdict.INCONCLUSIVE, cast.inspector)


@pytest.mark.parametrize("verdict", list(Verdict))
def test_the_inspector_records_the_verdict_on_both_verification_and_product(
    verdict: Verdict,
) -> None:
    cast = Cast()
    world = World()
    product_id = world.registered(cast.maker)
    verification_id = world.verification_requested(product_id, cast.maker)
    world.ai_assessed(verification_id)

    attempt = world.run(
        RecordInspection(verification_id=verification_id, verdict=verdict), cast.inspector
    )

    assert topics(attempt.events) == ["InspectionRecorded", "ProductVerificationStatusChanged"]
    assert world.get(Product, product_id).verification_status == VerificationStatus(verdict)
    verification = world.get(Verification, verification_id)
    assert verification.inspector_id == cast.inspector.id
    assert verification.verdict is verdict


def test_after_an_inconclusive_verdict_the_owner_may_ask_again() -> None:
    cast = Cast()
    world = World()
    product_id, _ = world.verified(cast.maker, Verdict.INCONCLUSIVE, cast.inspector)
    second = world.verification_requested(product_id, cast.maker)
    assert world.get(Product, product_id).latest_verification_id == second


@pytest.mark.parametrize("verdict", [Verdict.AUTHENTIC, Verdict.COUNTERFEIT])
def test_after_a_final_verdict_no_new_verification_is_taken(verdict: Verdict) -> None:
    cast = Cast()
    world = World()
    product_id, _ = world.verified(cast.maker, verdict, cast.inspector)
    command = RequestVerification(product_id=product_id, image_hashes=(image_hash(),))
    assert world.refuse(command, cast.maker).code == "VALIDATION_FAILED"


# -- certificates ----------------------------------------------------------------------------


@pytest.mark.parametrize("issuer_role", [Role.INSPECTOR, Role.ADMIN])
def test_inspectors_and_admins_issue_certificates_for_authentic_products(
    issuer_role: Role,
) -> None:
    cast = Cast()
    world = World()
    product_id, verification_id = world.verified(cast.maker, Verdict.AUTHENTIC, cast.inspector)
    issuer = actor(issuer_role)

    attempt = world.run(IssueCertificate(product_id=product_id), issuer)

    assert topics(attempt.events) == ["CertificateIssued", "ProductCertified"]
    assert attempt.outcome is not None
    certificate_id = UUID(attempt.outcome.ids["certificateId"])
    assert attempt.outcome.main_aggregate_id == certificate_id
    issued = only(attempt.events, Certificate.Issued)
    assert issued.verification_id == verification_id
    assert issued.inspector_id == cast.inspector.id
    assert issued.issued_by == issuer.id
    assert issued.ai_score == Decimal("0.87")
    assert world.get(Product, product_id).valid_certificate_id == certificate_id


@pytest.mark.parametrize("verdict", [Verdict.COUNTERFEIT, Verdict.INCONCLUSIVE])
def test_a_product_that_is_not_authentic_gets_no_certificate(verdict: Verdict) -> None:
    cast = Cast()
    world = World()
    product_id, _ = world.verified(cast.maker, verdict, cast.inspector)
    error = world.refuse(IssueCertificate(product_id=product_id), cast.inspector)
    assert error.code == "NOT_VERIFIED"


def test_revoking_withdraws_the_certificate_from_the_product() -> None:
    cast = Cast()
    world = World()
    product_id, certificate_id = world.certified(cast.maker, cast.inspector)

    attempt = world.run(
        RevokeCertificate(certificate_id=certificate_id, reason="forged"), cast.admin
    )

    assert topics(attempt.events) == ["CertificateRevoked", "ProductCertificateWithdrawn"]
    assert world.get(Certificate, certificate_id).status is CertificateStatus.REVOKED
    assert world.get(Product, product_id).valid_certificate_id is None
    again = RevokeCertificate(certificate_id=certificate_id, reason="again")
    assert world.refuse(again, cast.inspector).code == "ALREADY_REVOKED"
    # Without its certificate the product can no longer be auctioned.
    assert world.refuse(open_command(product_id), cast.maker).code == "NOT_VERIFIED"


# -- auctions --------------------------------------------------------------------------------


def test_the_owner_opens_an_auction_and_the_product_is_listed() -> None:
    cast = Cast()
    world = World()
    product_id, _ = world.certified(cast.maker, cast.inspector)

    attempt = world.run(open_command(product_id), cast.maker)

    assert topics(attempt.events) == ["AuctionOpened", "ProductListed"]
    assert attempt.outcome is not None
    auction_id = UUID(attempt.outcome.ids["auctionId"])
    assert attempt.outcome.main_aggregate_id == auction_id
    auction = world.get(Auction, auction_id)
    assert auction.seller_id == cast.maker.id
    assert (auction.extension_window_seconds, auction.extension_seconds) == (120, 120)
    assert world.get(Product, product_id).open_auction_id == auction_id


def test_open_auction_passes_custom_anti_sniping_terms() -> None:
    cast = Cast()
    world = World()
    product_id, _ = world.certified(cast.maker, cast.inspector)
    command = open_command(product_id, extension_window_seconds=0, extension_seconds=30)
    outcome = world.run(command, cast.maker).outcome
    assert outcome is not None
    auction = world.get(Auction, UUID(outcome.ids["auctionId"]))
    assert (auction.extension_window_seconds, auction.extension_seconds) == (0, 30)


@pytest.mark.parametrize("who", ["other_maker", "bidder", "admin"])
def test_only_the_owner_opens_an_auction(who: str) -> None:
    cast = Cast()
    world = World()
    product_id, _ = world.certified(cast.maker, cast.inspector)
    error = world.refuse(open_command(product_id), getattr(cast, who))
    assert error.code == "FORBIDDEN"


def test_a_bid_defaults_to_the_auctions_currency() -> None:
    cast = Cast()
    world = World()
    _, auction_id = world.auction_opened(cast.maker, cast.inspector)

    attempt = world.run(PlaceBid(auction_id=auction_id, amount=Decimal("100")), cast.bidder, DURING)

    assert topics(attempt.events) == ["BidPlaced"]
    assert attempt.outcome is not None
    placed = only(attempt.events, Auction.BidPlaced)
    assert placed.currency == "EUR"
    assert attempt.outcome.ids["bidId"] == str(placed.bid_id)
    wrong = PlaceBid(auction_id=auction_id, amount=Decimal("200"), currency="USD")
    assert world.refuse(wrong, cast.bidder2, DURING).code == "VALIDATION_FAILED"


def test_a_seller_who_is_also_a_bidder_cannot_bid_in_their_own_auction() -> None:
    cast = Cast()
    seller = actor(Role.MANUFACTURER, Role.BIDDER)
    world = World()
    _, auction_id = world.auction_opened(seller, cast.inspector)
    error = world.refuse(PlaceBid(auction_id=auction_id, amount=Decimal("500")), seller, DURING)
    assert error.code == "SELF_BIDDING"


def test_closing_after_the_end_settles_ownership_to_the_winner() -> None:
    cast = Cast()
    world = World()
    product_id, auction_id = world.auction_opened(cast.maker, cast.inspector)
    world.run(PlaceBid(auction_id=auction_id, amount=Decimal("100")), cast.bidder, DURING)
    world.run(PlaceBid(auction_id=auction_id, amount=Decimal("150")), cast.bidder2, DURING)

    attempt = world.run(CloseAuction(auction_id=auction_id), SYSTEM, END)

    assert topics(attempt.events) == ["AuctionClosed", "ProductOwnershipTransferred"]
    transferred = only(attempt.events, Product.OwnershipTransferred)
    assert transferred.previous_owner_id == cast.maker.id
    assert transferred.new_owner_id == cast.bidder2.id
    assert (transferred.price, transferred.currency) == (Decimal("150.00"), "EUR")
    product = world.get(Product, product_id)
    assert product.owner_id == cast.bidder2.id
    assert product.open_auction_id is None
    assert world.get(Auction, auction_id).winner_id == cast.bidder2.id
    # The new owner may resell (the certificate stays valid); the old one may not.
    assert world.refuse(open_command(product_id), cast.maker).code == "FORBIDDEN"
    resale = world.run(
        open_command(product_id, ends_at=END + timedelta(hours=1)), cast.bidder2, END
    )
    assert topics(resale.events) == ["AuctionOpened", "ProductListed"]


@pytest.mark.parametrize("closer", ["maker", "admin"])
def test_closing_without_bids_unlists_the_product_unsold(closer: str) -> None:
    cast = Cast()
    world = World()
    product_id, auction_id = world.auction_opened(cast.maker, cast.inspector)

    attempt = world.run(CloseAuction(auction_id=auction_id), getattr(cast, closer), END)

    assert topics(attempt.events) == ["AuctionClosed", "ProductUnlisted"]
    unlisted = only(attempt.events, Product.Unlisted)
    assert unlisted.outcome == "UNSOLD"
    product = world.get(Product, product_id)
    assert product.owner_id == cast.maker.id
    assert product.open_auction_id is None


def test_only_the_seller_an_admin_or_the_system_closes_an_auction() -> None:
    cast = Cast()
    world = World()
    _, auction_id = world.auction_opened(cast.maker, cast.inspector)
    assert world.refuse(CloseAuction(auction_id=auction_id), cast.bidder, END).code == "FORBIDDEN"
    error = world.refuse(CloseAuction(auction_id=auction_id), cast.other_maker, END)
    assert error.code == "FORBIDDEN"


@pytest.mark.parametrize("canceller", ["maker", "admin"])
def test_cancelling_before_the_first_bid_unlists_the_product(canceller: str) -> None:
    cast = Cast()
    world = World()
    product_id, auction_id = world.auction_opened(cast.maker, cast.inspector)

    attempt = world.run(CancelAuction(auction_id=auction_id), getattr(cast, canceller), DURING)

    assert topics(attempt.events) == ["AuctionCancelled", "ProductUnlisted"]
    unlisted = only(attempt.events, Product.Unlisted)
    assert unlisted.outcome == "CANCELLED"
    assert world.get(Auction, auction_id).status is AuctionStatus.CANCELLED
    assert world.get(Product, product_id).open_auction_id is None
    # The product can be put up again.
    assert world.run(open_command(product_id), cast.maker, DURING).events


def test_only_the_seller_or_an_admin_cancels_an_auction() -> None:
    cast = Cast()
    world = World()
    _, auction_id = world.auction_opened(cast.maker, cast.inspector)
    for caller in (cast.bidder, cast.other_maker):
        error = world.refuse(CancelAuction(auction_id=auction_id), caller, DURING)
        assert error.code == "FORBIDDEN"


# -- every refusal leaves every touched aggregate as it was ----------------------------------


@dataclass(frozen=True)
class Refusal:
    command: Command
    caller: Actor
    now: datetime
    code: str


Scenario = Callable[[World, Cast], Refusal]


def _request_bad_evidence(world: World, cast: Cast) -> Refusal:
    product_id = world.registered(cast.maker)
    command = RequestVerification(product_id=product_id, image_hashes=("nothex",))
    return Refusal(command, cast.maker, T0, "VALIDATION_FAILED")


def _request_duplicate_evidence(world: World, cast: Cast) -> Refusal:
    product_id = world.registered(cast.maker)
    digest = image_hash()
    command = RequestVerification(product_id=product_id, image_hashes=(digest, digest))
    return Refusal(command, cast.maker, T0, "VALIDATION_FAILED")


def _request_too_long_notes(world: World, cast: Cast) -> Refusal:
    product_id = world.registered(cast.maker)
    command = RequestVerification(
        product_id=product_id, image_hashes=(image_hash(),), notes="n" * 2001
    )
    return Refusal(command, cast.maker, T0, "VALIDATION_FAILED")


def _request_while_pending(world: World, cast: Cast) -> Refusal:
    product_id = world.registered(cast.maker)
    world.verification_requested(product_id, cast.maker)
    command = RequestVerification(product_id=product_id, image_hashes=(image_hash(),))
    return Refusal(command, cast.maker, T0, "VALIDATION_FAILED")


def _register_invalid(world: World, cast: Cast) -> Refusal:
    return Refusal(register_command(manufacturer="   "), cast.maker, T0, "VALIDATION_FAILED")


def _ai_twice(world: World, cast: Cast) -> Refusal:
    product_id = world.registered(cast.maker)
    verification_id = world.verification_requested(product_id, cast.maker)
    world.ai_assessed(verification_id)
    return Refusal(ai_command(verification_id), SYSTEM, T0, "VALIDATION_FAILED")


def _ai_score_out_of_range(world: World, cast: Cast) -> Refusal:
    product_id = world.registered(cast.maker)
    verification_id = world.verification_requested(product_id, cast.maker)
    command = RecordAIAssessment(
        verification_id=verification_id,
        authenticity_score=Decimal("1.5"),
        model_name="m",
        model_version="1",
        model_sha256=image_hash(),
    )
    return Refusal(command, SYSTEM, T0, "VALIDATION_FAILED")


def _inspect_before_ai(world: World, cast: Cast) -> Refusal:
    product_id = world.registered(cast.maker)
    verification_id = world.verification_requested(product_id, cast.maker)
    command = RecordInspection(verification_id=verification_id, verdict=Verdict.AUTHENTIC)
    return Refusal(command, cast.inspector, T0, "VALIDATION_FAILED")


def _inspect_twice(world: World, cast: Cast) -> Refusal:
    _, verification_id = world.verified(cast.maker, Verdict.INCONCLUSIVE, cast.inspector)
    command = RecordInspection(verification_id=verification_id, verdict=Verdict.AUTHENTIC)
    return Refusal(command, cast.inspector, T0, "VALIDATION_FAILED")


def _inspect_with_too_long_notes(world: World, cast: Cast) -> Refusal:
    product_id = world.registered(cast.maker)
    verification_id = world.verification_requested(product_id, cast.maker)
    world.ai_assessed(verification_id)
    command = RecordInspection(
        verification_id=verification_id, verdict=Verdict.AUTHENTIC, notes="n" * 2001
    )
    return Refusal(command, cast.inspector, T0, "VALIDATION_FAILED")


def _inspect_a_superseded_verification(world: World, cast: Cast) -> Refusal:
    # An assessed verification that is no longer the product's latest one.
    product = Product.register(
        sku="S", serial_number=uuid4().hex, name="N", manufacturer="M", prov=prov(cast.maker.id)
    )
    old = Verification.request(
        verification_id=uuid4(),
        product_id=product.id,
        image_hashes=[image_hash()],
        notes="",
        prov=prov(cast.maker.id),
    )
    old.record_ai_assessment(
        authenticity_score=Decimal("0.5"),
        model_name="m",
        model_version="1",
        model_sha256=image_hash(),
        prov=prov(SYSTEM.id),
    )
    product.start_verification(uuid4(), prov(cast.maker.id))
    world.put(product, old)
    command = RecordInspection(verification_id=old.id, verdict=Verdict.AUTHENTIC)
    return Refusal(command, cast.inspector, T0, "VALIDATION_FAILED")


def _inspect_without_product(world: World, cast: Cast) -> Refusal:
    orphan = Verification.request(
        verification_id=uuid4(),
        product_id=uuid4(),
        image_hashes=[image_hash()],
        notes="",
        prov=prov(cast.maker.id),
    )
    world.put(orphan)
    command = RecordInspection(verification_id=orphan.id, verdict=Verdict.AUTHENTIC)
    return Refusal(command, cast.inspector, T0, "NOT_FOUND")


def _issue_when_not_authentic(world: World, cast: Cast) -> Refusal:
    product_id, _ = world.verified(cast.maker, Verdict.COUNTERFEIT, cast.inspector)
    return Refusal(IssueCertificate(product_id=product_id), cast.inspector, T0, "NOT_VERIFIED")


def _issue_second_certificate(world: World, cast: Cast) -> Refusal:
    product_id, _ = world.certified(cast.maker, cast.inspector)
    return Refusal(IssueCertificate(product_id=product_id), cast.admin, T0, "VALIDATION_FAILED")


def _issue_without_a_recorded_verdict(world: World, cast: Cast) -> Refusal:
    # The product says AUTHENTIC, but its verification has no inspector's verdict.
    product = Product.register(
        sku="S", serial_number=uuid4().hex, name="N", manufacturer="M", prov=prov(cast.maker.id)
    )
    verification = Verification.request(
        verification_id=uuid4(),
        product_id=product.id,
        image_hashes=[image_hash()],
        notes="",
        prov=prov(cast.maker.id),
    )
    product.start_verification(verification.id, prov(cast.maker.id))
    product.conclude_verification(
        verification.id, VerificationStatus.AUTHENTIC, prov(cast.inspector.id)
    )
    world.put(product, verification)
    return Refusal(IssueCertificate(product_id=product.id), cast.inspector, T0, "VALIDATION_FAILED")


def _issue_with_missing_verification(world: World, cast: Cast) -> Refusal:
    product = Product.register(
        sku="S", serial_number=uuid4().hex, name="N", manufacturer="M", prov=prov(cast.maker.id)
    )
    ghost = uuid4()
    product.start_verification(ghost, prov(cast.maker.id))
    product.conclude_verification(ghost, VerificationStatus.AUTHENTIC, prov(cast.inspector.id))
    world.put(product)
    return Refusal(IssueCertificate(product_id=product.id), cast.inspector, T0, "NOT_FOUND")


def _revoke_twice(world: World, cast: Cast) -> Refusal:
    _, certificate_id = world.certified(cast.maker, cast.inspector)
    world.run(RevokeCertificate(certificate_id=certificate_id, reason="first"), cast.inspector)
    command = RevokeCertificate(certificate_id=certificate_id, reason="second")
    return Refusal(command, cast.admin, T0, "ALREADY_REVOKED")


def _revoke_without_reason(world: World, cast: Cast) -> Refusal:
    _, certificate_id = world.certified(cast.maker, cast.inspector)
    command = RevokeCertificate(certificate_id=certificate_id, reason="  ")
    return Refusal(command, cast.inspector, T0, "VALIDATION_FAILED")


def _revoke_with_missing_product(world: World, cast: Cast) -> Refusal:
    product, certificate = _certified_pair(cast)
    world.put(certificate)  # the product is not in the store
    command = RevokeCertificate(certificate_id=certificate.id, reason="fraud")
    assert product.id not in world.store
    return Refusal(command, cast.inspector, T0, "NOT_FOUND")


def _certified_pair(cast: Cast) -> tuple[Product, Certificate]:
    product = Product.register(
        sku="S", serial_number=uuid4().hex, name="N", manufacturer="M", prov=prov(cast.maker.id)
    )
    certificate = Certificate.issue(
        certificate_id=uuid4(),
        product_id=product.id,
        sku="S",
        serial_number=product.serial_number,
        manufacturer="M",
        product_name="N",
        verification_id=uuid4(),
        verdict="AUTHENTIC",
        inspector_id=cast.inspector.id,
        ai_score=None,
        ai_model_name=None,
        ai_model_version=None,
        prov=prov(cast.inspector.id),
    )
    return saved(product), saved(certificate)


def _open_with_bad_terms(world: World, cast: Cast) -> Refusal:
    product_id, _ = world.certified(cast.maker, cast.inspector)
    command = open_command(product_id, currency="eur")
    return Refusal(command, cast.maker, T0, "VALIDATION_FAILED")


def _open_ending_in_the_past(world: World, cast: Cast) -> Refusal:
    product_id, _ = world.certified(cast.maker, cast.inspector)
    command = open_command(product_id, starts_at=T0 - timedelta(hours=2), ends_at=T0)
    return Refusal(command, cast.maker, T0, "VALIDATION_FAILED")


def _open_with_bad_extension(world: World, cast: Cast) -> Refusal:
    product_id, _ = world.certified(cast.maker, cast.inspector)
    command = open_command(product_id, extension_seconds=3601)
    return Refusal(command, cast.maker, T0, "VALIDATION_FAILED")


def _open_twice(world: World, cast: Cast) -> Refusal:
    product_id, _ = world.auction_opened(cast.maker, cast.inspector)
    return Refusal(open_command(product_id), cast.maker, T0, "VALIDATION_FAILED")


def _open_uncertified(world: World, cast: Cast) -> Refusal:
    product_id, _ = world.verified(cast.maker, Verdict.AUTHENTIC, cast.inspector)
    return Refusal(open_command(product_id), cast.maker, T0, "NOT_VERIFIED")


def _open_by_non_owner(world: World, cast: Cast) -> Refusal:
    product_id, _ = world.certified(cast.maker, cast.inspector)
    return Refusal(open_command(product_id), cast.bidder, T0, "FORBIDDEN")


def _bid_too_low(world: World, cast: Cast) -> Refusal:
    _, auction_id = world.auction_opened(cast.maker, cast.inspector)
    command = PlaceBid(auction_id=auction_id, amount=Decimal("99.99"))
    return Refusal(command, cast.bidder, DURING, "BID_TOO_LOW")


def _bid_after_end(world: World, cast: Cast) -> Refusal:
    _, auction_id = world.auction_opened(cast.maker, cast.inspector)
    command = PlaceBid(auction_id=auction_id, amount=Decimal("500"))
    return Refusal(command, cast.bidder, END, "AUCTION_NOT_OPEN")


def _bid_with_three_decimals(world: World, cast: Cast) -> Refusal:
    _, auction_id = world.auction_opened(cast.maker, cast.inspector)
    command = PlaceBid(auction_id=auction_id, amount=Decimal("120.005"))
    return Refusal(command, cast.bidder, DURING, "VALIDATION_FAILED")


def _close_before_end(world: World, cast: Cast) -> Refusal:
    _, auction_id = world.auction_opened(cast.maker, cast.inspector)
    return Refusal(CloseAuction(auction_id=auction_id), SYSTEM, DURING, "VALIDATION_FAILED")


def _close_twice(world: World, cast: Cast) -> Refusal:
    _, auction_id = world.auction_opened(cast.maker, cast.inspector)
    world.run(CloseAuction(auction_id=auction_id), SYSTEM, END)
    return Refusal(CloseAuction(auction_id=auction_id), SYSTEM, END, "AUCTION_NOT_OPEN")


def _close_when_the_product_is_not_listed(world: World, cast: Cast) -> Refusal:
    product_id, _ = world.certified(cast.maker, cast.inspector)
    stray = Auction.open(
        auction_id=uuid4(),
        product_id=product_id,
        reserve_price=Decimal("1"),
        min_increment=Decimal("1"),
        currency="EUR",
        starts_at=T0,
        ends_at=END,
        prov=prov(cast.maker.id),
    )
    world.put(stray)
    return Refusal(CloseAuction(auction_id=stray.id), SYSTEM, END, "VALIDATION_FAILED")


def _close_by_a_stranger(world: World, cast: Cast) -> Refusal:
    _, auction_id = world.auction_opened(cast.maker, cast.inspector)
    return Refusal(CloseAuction(auction_id=auction_id), cast.bidder, END, "FORBIDDEN")


def _cancel_after_a_bid(world: World, cast: Cast) -> Refusal:
    _, auction_id = world.auction_opened(cast.maker, cast.inspector)
    world.run(PlaceBid(auction_id=auction_id, amount=Decimal("100")), cast.bidder, DURING)
    return Refusal(CancelAuction(auction_id=auction_id), cast.maker, DURING, "VALIDATION_FAILED")


def _cancel_after_close(world: World, cast: Cast) -> Refusal:
    _, auction_id = world.auction_opened(cast.maker, cast.inspector)
    world.run(CloseAuction(auction_id=auction_id), SYSTEM, END)
    return Refusal(CancelAuction(auction_id=auction_id), cast.admin, END, "AUCTION_NOT_OPEN")


def _cancel_by_a_stranger(world: World, cast: Cast) -> Refusal:
    _, auction_id = world.auction_opened(cast.maker, cast.inspector)
    return Refusal(CancelAuction(auction_id=auction_id), cast.bidder, DURING, "FORBIDDEN")


REFUSALS: dict[str, Scenario] = {
    name.removeprefix("_"): scenario
    for name, scenario in dict(globals()).items()
    if name.startswith("_")
    and callable(scenario)
    and inspect.signature(scenario).return_annotation == "Refusal"
}


def test_the_refusal_catalogue_is_complete() -> None:
    # Guards the discovery above: a broken filter would silently skip every scenario.
    assert len(REFUSALS) >= 30
    assert "close_when_the_product_is_not_listed" in REFUSALS


@pytest.mark.parametrize("name", sorted(REFUSALS))
def test_a_refused_command_leaves_no_pending_events_anywhere(name: str) -> None:
    world = World()
    cast = Cast()
    refusal = REFUSALS[name](world, cast)

    # World.refuse asserts: an error was raised, no aggregate the handler loaded or created
    # holds pending events, the context collects nothing, and the store is unchanged.
    error = world.refuse(refusal.command, refusal.caller, refusal.now)

    assert error.code == refusal.code, f"{error.code}: {error}"
