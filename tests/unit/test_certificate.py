"""Certificate: only for an AUTHENTIC latest verification without a valid certificate;
revoked at most once."""

from __future__ import annotations

from decimal import Decimal
from uuid import uuid4

import pytest

from domain.certificate import Certificate
from domain.errors import AlreadyRevoked, InvalidTransition, NotVerified, ValidationFailed
from domain.statuses import CertificateStatus, Verdict, VerificationStatus
from tests.support.certificate_issuer import issue_with_credential
from tests.unit.support import (
    assessed,
    certified_product,
    concluded,
    event_types,
    issued_certificate,
    pending,
    product_with_verdict,
    prov,
    registered_product,
    requested_verification,
    saved,
    uid,
)


def test_issue_records_everything_the_credential_is_built_from() -> None:
    product = product_with_verdict(Verdict.AUTHENTIC)
    verification_id = product.check_certifiable()
    issuer = uid("inspector")
    certificate_id = uuid4()

    certificate = issue_with_credential(
        certificate_id=certificate_id,
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

    events = pending(certificate)
    assert event_types(events) == ["Issued"]
    event = events[0]
    assert isinstance(event, Certificate.Issued)
    assert event.originator_id == certificate_id
    assert (event.product_id, event.verification_id) == (product.id, verification_id)
    assert (event.sku, event.serial_number) == (product.sku, product.serial_number)
    assert event.issued_by == issuer
    assert event.ai_score == Decimal("0.93")
    assert certificate.status is CertificateStatus.VALID
    assert certificate.issued_by == issuer


def test_an_unverified_product_is_not_certifiable() -> None:
    product = registered_product()
    with pytest.raises(NotVerified) as caught:
        product.check_certifiable()
    assert caught.value.code == "NOT_VERIFIED"


def test_a_pending_product_is_not_certifiable() -> None:
    product = registered_product()
    requested_verification(product)
    assert product.verification_status is VerificationStatus.PENDING
    with pytest.raises(NotVerified):
        product.check_certifiable()


@pytest.mark.parametrize("verdict", [Verdict.COUNTERFEIT, Verdict.INCONCLUSIVE])
def test_a_product_whose_latest_verdict_is_not_authentic_is_not_certifiable(
    verdict: Verdict,
) -> None:
    product = product_with_verdict(verdict)
    with pytest.raises(NotVerified):
        product.attach_certificate(uuid4(), prov("inspector"))
    assert pending(product) == []
    assert product.valid_certificate_id is None


def test_an_older_authentic_verdict_does_not_count_once_a_new_verification_is_pending() -> None:
    # INCONCLUSIVE, then a new verification: the product is PENDING again, not certifiable.
    product = product_with_verdict(Verdict.INCONCLUSIVE)
    verification = assessed(requested_verification(product))
    with pytest.raises(NotVerified):
        product.check_certifiable()
    concluded(product, verification, Verdict.AUTHENTIC)
    assert product.check_certifiable() == verification.id


def test_attach_certificate_to_an_authentic_product() -> None:
    product = product_with_verdict(Verdict.AUTHENTIC)
    certificate_id = uuid4()

    product.attach_certificate(certificate_id, prov("inspector"))

    assert event_types(pending(product)) == ["Certified"]
    assert product.valid_certificate_id == certificate_id


def test_a_product_with_a_valid_certificate_gets_no_second_one() -> None:
    product, certificate = certified_product()
    with pytest.raises(InvalidTransition) as caught:
        product.attach_certificate(uuid4(), prov("inspector"))
    assert caught.value.code == "VALIDATION_FAILED"
    assert caught.value.details["certificate_id"] == str(certificate.id)
    assert pending(product) == []
    assert product.valid_certificate_id == certificate.id


def test_after_revocation_and_withdrawal_the_product_can_be_certified_again() -> None:
    product, certificate = certified_product()
    certificate.revoke("stolen", prov("inspector"))
    product.withdraw_certificate(certificate.id, prov("inspector"))
    saved(product)
    replacement = uuid4()

    product.attach_certificate(replacement, prov("inspector"))

    assert product.valid_certificate_id == replacement


# -- revocation ------------------------------------------------------------------------------


def test_revoke_records_the_reason_and_who_revoked() -> None:
    product = product_with_verdict(Verdict.AUTHENTIC)
    certificate = issued_certificate(product)
    admin = uid("admin")

    certificate.revoke("  evidence was forged  ", prov(admin))

    events = pending(certificate)
    assert event_types(events) == ["Revoked"]
    event = events[0]
    assert isinstance(event, Certificate.Revoked)
    assert (event.reason, event.revoked_by) == ("evidence was forged", admin)
    assert certificate.status is CertificateStatus.REVOKED
    assert certificate.revocation_reason == "evidence was forged"


def test_a_certificate_is_revoked_at_most_once() -> None:
    certificate = issued_certificate(product_with_verdict(Verdict.AUTHENTIC))
    certificate.revoke("first", prov("inspector"))
    saved(certificate)

    with pytest.raises(AlreadyRevoked) as caught:
        certificate.revoke("second", prov("inspector"))
    assert caught.value.code == "ALREADY_REVOKED"
    assert caught.value.details["certificate_id"] == str(certificate.id)
    assert pending(certificate) == []
    assert certificate.revocation_reason == "first"


@pytest.mark.parametrize("reason", ["", "   ", "r" * 501])
def test_revocation_needs_a_reason_of_at_most_500_characters(reason: str) -> None:
    certificate = issued_certificate(product_with_verdict(Verdict.AUTHENTIC))
    with pytest.raises(ValidationFailed) as caught:
        certificate.revoke(reason, prov("inspector"))
    assert caught.value.details["field"] == "reason"
    assert pending(certificate) == []
    assert certificate.status is CertificateStatus.VALID


def test_a_reason_of_exactly_500_characters_is_accepted() -> None:
    certificate = issued_certificate(product_with_verdict(Verdict.AUTHENTIC))
    certificate.revoke("r" * 500, prov("inspector"))
    assert certificate.status is CertificateStatus.REVOKED
