"""Product: registration, ownership, verification status, certificate and listing rules."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest

from domain.errors import (
    DuplicateProduct,
    Forbidden,
    InvalidTransition,
    NotVerified,
    ValidationFailed,
)
from domain.product import Product, product_id_for
from domain.statuses import Verdict, VerificationStatus
from tests.unit.support import (
    T0,
    certified_product,
    event_types,
    pending,
    product_with_verdict,
    prov,
    registered_product,
    saved,
    uid,
)

FIELD_LIMITS = {"sku": 64, "serial_number": 128, "name": 200, "manufacturer": 200}
FIELD_NAMES = {
    "sku": "sku",
    "serial_number": "serialNumber",
    "name": "name",
    "manufacturer": "manufacturer",
}


def registration(**overrides: str) -> dict[str, Any]:
    # Any: register() also takes a manufacture date, which a dict of strings cannot feed.
    fields: dict[str, Any] = {
        "sku": "SKU-1",
        "serial_number": f"SN-{uuid4().hex}",
        "name": "Chronograph",
        "manufacturer": "Acme",
    }
    fields.update(overrides)
    return fields


# -- registration ----------------------------------------------------------------------------


def test_register_records_stripped_fields_and_the_registering_actor_as_owner() -> None:
    maker = uid("maker")
    serial = f"SN-{uuid4().hex}"

    product = Product.register(
        sku="  SKU-7 ",
        serial_number=f" {serial}\t",
        name=" Chronograph ",
        manufacturer=" Acme ",
        prov=prov(maker),
    )

    events = pending(product)
    assert event_types(events) == ["Registered"]
    event = events[0]
    assert isinstance(event, Product.Registered)
    assert (event.sku, event.serial_number, event.name, event.manufacturer) == (
        "SKU-7",
        serial,
        "Chronograph",
        "Acme",
    )
    assert event.owner_id == maker
    assert event.actor == maker
    assert event.timestamp == T0
    assert product.id == product_id_for("Acme", serial)
    assert product.owner_id == maker
    assert product.verification_status is VerificationStatus.UNVERIFIED
    assert product.latest_verification_id is None
    assert product.valid_certificate_id is None
    assert product.open_auction_id is None


def test_product_id_depends_on_manufacturer_and_serial_only() -> None:
    serial = f"SN-{uuid4().hex}"
    assert product_id_for("Acme", serial) == product_id_for(" Acme ", f"{serial} ")
    assert product_id_for("Acme", serial) != product_id_for("Other", serial)
    assert product_id_for("Acme", serial) != product_id_for("Acme", f"{serial}X")
    # The separator keeps ("ab", "c") and ("a", "bc") apart.
    assert product_id_for("ab", "c") != product_id_for("a", "bc")


@pytest.mark.parametrize("field", sorted(FIELD_LIMITS))
@pytest.mark.parametrize("value", ["", "   ", "\t\n"])
def test_register_refuses_an_empty_field(field: str, value: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        Product.register(**registration(**{field: value}), prov=prov(uid("maker")))
    assert caught.value.code == "VALIDATION_FAILED"
    assert caught.value.details["field"] == FIELD_NAMES[field]


@pytest.mark.parametrize(("field", "limit"), sorted(FIELD_LIMITS.items()))
def test_register_refuses_a_field_longer_than_its_limit(field: str, limit: int) -> None:
    with pytest.raises(ValidationFailed) as caught:
        Product.register(**registration(**{field: "x" * (limit + 1)}), prov=prov(uid("maker")))
    assert caught.value.code == "VALIDATION_FAILED"
    assert caught.value.details["field"] == FIELD_NAMES[field]


@pytest.mark.parametrize(("field", "limit"), sorted(FIELD_LIMITS.items()))
def test_register_accepts_a_field_of_exactly_its_limit(field: str, limit: int) -> None:
    # Surrounding whitespace does not count against the limit: it is stripped first.
    product = Product.register(
        **registration(**{field: f" {'x' * limit} "}), prov=prov(uid("maker"))
    )
    assert getattr(product, field) == "x" * limit


def test_refuse_duplicate_raises_a_validation_error_naming_the_product() -> None:
    product = registered_product()
    with pytest.raises(DuplicateProduct) as caught:
        product.refuse_duplicate()
    assert isinstance(caught.value, ValidationFailed)
    assert caught.value.code == "VALIDATION_FAILED"
    assert caught.value.details["product_id"] == str(product.id)
    assert pending(product) == []


# -- ownership -------------------------------------------------------------------------------


def test_check_owner_accepts_the_owner_and_forbids_anyone_else() -> None:
    owner = uid("maker")
    product = registered_product(owner)
    product.check_owner(owner, what="do it")
    with pytest.raises(Forbidden) as caught:
        product.check_owner(uid("bidder"), what="do it")
    assert caught.value.code == "FORBIDDEN"


# -- verification status ---------------------------------------------------------------------


def test_starting_a_verification_makes_an_unverified_product_pending() -> None:
    product = registered_product()
    verification_id = uuid4()

    product.start_verification(verification_id, prov(product.owner_id))

    events = pending(product)
    assert event_types(events) == ["VerificationStatusChanged"]
    event = events[0]
    assert isinstance(event, Product.VerificationStatusChanged)
    assert event.status == "PENDING"
    assert event.verification_id == verification_id
    assert product.verification_status is VerificationStatus.PENDING
    assert product.latest_verification_id == verification_id


@pytest.mark.parametrize("verdict", list(Verdict))
def test_concluding_the_latest_verification_records_the_verdict(verdict: Verdict) -> None:
    product = registered_product()
    verification_id = uuid4()
    product.start_verification(verification_id, prov(product.owner_id))
    saved(product)

    product.conclude_verification(verification_id, VerificationStatus(verdict), prov("insp"))

    events = pending(product)
    assert len(events) == 1
    assert isinstance(events[0], Product.VerificationStatusChanged)
    assert events[0].status == verdict.value
    assert product.verification_status == VerificationStatus(verdict)


def test_concluding_a_verification_that_is_not_the_latest_is_refused() -> None:
    product = registered_product()
    product.start_verification(uuid4(), prov(product.owner_id))
    saved(product)

    with pytest.raises(InvalidTransition) as caught:
        product.conclude_verification(uuid4(), VerificationStatus.AUTHENTIC, prov("insp"))
    assert caught.value.code == "VALIDATION_FAILED"
    assert pending(product) == []
    assert product.verification_status is VerificationStatus.PENDING


def test_a_pending_product_cannot_start_another_verification() -> None:
    product = registered_product()
    first = uuid4()
    product.start_verification(first, prov(product.owner_id))
    saved(product)

    with pytest.raises(InvalidTransition):
        product.start_verification(uuid4(), prov(product.owner_id))
    assert pending(product) == []
    assert product.latest_verification_id == first


@pytest.mark.parametrize(
    ("verdict", "allowed"),
    [(Verdict.INCONCLUSIVE, True), (Verdict.AUTHENTIC, False), (Verdict.COUNTERFEIT, False)],
)
def test_a_new_verification_is_allowed_only_after_an_inconclusive_verdict(
    verdict: Verdict, allowed: bool
) -> None:
    product = product_with_verdict(verdict)
    second = uuid4()

    if allowed:
        product.check_can_request_verification()
        product.start_verification(second, prov(product.owner_id))
        assert product.verification_status is VerificationStatus.PENDING
        assert product.latest_verification_id == second
        assert event_types(pending(product)) == ["VerificationStatusChanged"]
    else:
        with pytest.raises(InvalidTransition) as caught:
            product.start_verification(second, prov(product.owner_id))
        assert caught.value.code == "VALIDATION_FAILED"
        assert pending(product) == []
        assert product.verification_status == VerificationStatus(verdict)


# -- certificate link ------------------------------------------------------------------------


def test_withdrawing_the_valid_certificate_clears_it() -> None:
    product, certificate = certified_product()
    assert product.valid_certificate_id == certificate.id

    product.withdraw_certificate(certificate.id, prov("insp"))

    assert event_types(pending(product)) == ["CertificateWithdrawn"]
    assert product.valid_certificate_id is None


def test_withdrawing_another_certificate_changes_nothing() -> None:
    product, certificate = certified_product()

    product.withdraw_certificate(uuid4(), prov("insp"))

    assert pending(product) == []
    assert product.valid_certificate_id == certificate.id


# -- listing and sale ------------------------------------------------------------------------


def test_the_owner_of_a_certified_product_can_list_it() -> None:
    owner = uid("maker")
    product, _ = certified_product(owner)
    auction_id = uuid4()

    product.list_in(auction_id, prov(owner))

    assert event_types(pending(product)) == ["Listed"]
    assert product.open_auction_id == auction_id


def test_only_the_owner_can_list_a_product() -> None:
    product, _ = certified_product()
    with pytest.raises(Forbidden):
        product.list_in(uuid4(), prov(uid("bidder")))
    assert pending(product) == []
    assert product.open_auction_id is None


@pytest.mark.parametrize("verdict", list(Verdict))
def test_a_product_without_a_valid_certificate_cannot_be_listed(verdict: Verdict) -> None:
    product = product_with_verdict(verdict)
    with pytest.raises(NotVerified) as caught:
        product.list_in(uuid4(), prov(product.owner_id))
    assert caught.value.code == "NOT_VERIFIED"
    assert pending(product) == []


def test_a_product_can_be_in_one_open_auction_at_a_time() -> None:
    product, _ = certified_product()
    first = uuid4()
    product.list_in(first, prov(product.owner_id))
    saved(product)

    with pytest.raises(InvalidTransition) as caught:
        product.list_in(uuid4(), prov(product.owner_id))
    assert caught.value.details["auction_id"] == str(first)
    assert pending(product) == []


def test_unlisting_from_the_open_auction_records_the_outcome() -> None:
    product, _ = certified_product()
    auction_id = uuid4()
    product.list_in(auction_id, prov(product.owner_id))
    saved(product)

    product.unlist(auction_id, "UNSOLD", prov("system"))

    events = pending(product)
    assert isinstance(events[-1], Product.Unlisted)
    assert events[-1].outcome == "UNSOLD"
    assert product.open_auction_id is None


def test_unlisting_from_another_auction_changes_nothing() -> None:
    product, _ = certified_product()
    auction_id = uuid4()
    product.list_in(auction_id, prov(product.owner_id))
    saved(product)

    product.unlist(uuid4(), "CANCELLED", prov("system"))

    assert pending(product) == []
    assert product.open_auction_id == auction_id


def test_transfer_moves_ownership_to_the_winner_and_ends_the_listing() -> None:
    seller = uid("maker")
    winner = uid("bidder")
    product, _ = certified_product(seller)
    auction_id = uuid4()
    product.list_in(auction_id, prov(seller))
    saved(product)

    product.transfer_to(winner, auction_id, Decimal("250.00"), "EUR", prov("system"))

    events = pending(product)
    assert event_types(events) == ["OwnershipTransferred"]
    event = events[0]
    assert isinstance(event, Product.OwnershipTransferred)
    assert (event.previous_owner_id, event.new_owner_id) == (seller, winner)
    assert (event.price, event.currency) == (Decimal("250.00"), "EUR")
    assert product.owner_id == winner
    assert product.open_auction_id is None


def test_transfer_from_an_auction_the_product_is_not_listed_in_is_refused() -> None:
    seller = uid("maker")
    product, _ = certified_product(seller)
    product.list_in(uuid4(), prov(seller))
    saved(product)

    with pytest.raises(InvalidTransition):
        product.transfer_to(uid("bidder"), uuid4(), Decimal("1.00"), "EUR", prov("system"))
    assert pending(product) == []
    assert product.owner_id == seller
