"""Every refused command leaves every aggregate it touched unchanged: a catalogue of refusal
scenarios, each run against an in-memory store."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from commands.actor import Actor
from commands.messages import (
    CancelAuction,
    CloseAuction,
    Command,
    IssueCertificate,
    PlaceBid,
    RecordAIAssessment,
    RecordInspection,
    RequestVerification,
    RevokeCertificate,
)
from domain.auction import Auction
from domain.certificate import Certificate
from domain.product import Product
from domain.statuses import (
    Verdict,
    VerificationStatus,
)
from domain.verification import Verification
from tests.support.certificate_issuer import issue_with_credential
from tests.unit.handler_support import (
    DURING,
    Cast,
    ai_command,
    open_command,
    register_command,
)
from tests.unit.support import (
    END,
    SYSTEM,
    T0,
    World,
    image_hash,
    prov,
    saved,
)


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
    certificate = issue_with_credential(
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
