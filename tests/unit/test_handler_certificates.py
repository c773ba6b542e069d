"""The certificate handlers: issued only for authentic products, revoking withdraws the
certificate from the product."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

import pytest

from commands.actor import Role
from commands.messages import (
    IssueCertificate,
    RevokeCertificate,
)
from domain.certificate import Certificate
from domain.product import Product
from domain.statuses import (
    CertificateStatus,
    Verdict,
)
from tests.unit.handler_support import (
    Cast,
    only,
    open_command,
    topics,
)
from tests.unit.support import (
    World,
    actor,
)


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
