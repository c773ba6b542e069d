"""The verification handlers: the owner (or an admin) asks, the system or an admin records
the AI assessment, and the inspector's verdict lands on both verification and product."""

from __future__ import annotations

from uuid import UUID

import pytest

from commands.messages import (
    RecordInspection,
    RequestVerification,
)
from domain.product import Product
from domain.statuses import (
    Verdict,
    VerificationStage,
    VerificationStatus,
)
from domain.verification import Verification
from tests.unit.handler_support import (
    Cast,
    ai_command,
    only,
    topics,
)
from tests.unit.support import (
    SYSTEM,
    World,
    image_hash,
)


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
