"""Product: registered by a manufacturer, verified, certified, listed and sold."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import AggregateCreated, BaseAggregate

from domain.enum_field import EnumField
from domain.errors import DuplicateProduct, Forbidden, InvalidTransition, NotVerified
from domain.event_base import VeraEvent
from domain.product_attributes import require_category, require_manufacture_date
from domain.provenance import Provenance
from domain.rules import require_text
from domain.statuses import VerificationStatus

_PRODUCT_NAMESPACE = uuid5(NAMESPACE_URL, "https://verachain.example/product")


def product_id_for(manufacturer: str, serial_number: str) -> UUID:
    """A product's id is derived from manufacturer + serial number, so two registrations of
    the same item collide on the event store's (id, version) key even when they race."""
    return uuid5(_PRODUCT_NAMESPACE, f"{manufacturer.strip()}\x00{serial_number.strip()}")


class Product(BaseAggregate[UUID]):
    TOPIC = "Product"
    verification_status = EnumField(VerificationStatus)

    class Event(VeraEvent):
        pass

    class Registered(Event, AggregateCreated):
        """v2 added what the manufacturer states: the category (one of the price model's,
        or "other") and the manufacture date, each null when not stated; v1 events were
        written before the catalogue had either."""

        TOPIC = "ProductRegistered"
        class_version = 2
        sku: str
        serial_number: str
        name: str
        manufacturer: str
        owner_id: str
        category: str | None
        manufactured_on: date | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            # Not stated is all a v1 event can say. Nulls are JSON-ready, so this also runs
            # on an envelope's data (upcast_envelope).
            state["category"] = None
            state["manufactured_on"] = None

    class VerificationStatusChanged(Event):
        TOPIC = "ProductVerificationStatusChanged"
        verification_id: UUID
        status: str

        def apply(self, product: Product) -> None:
            product.verification_status = VerificationStatus(self.status)
            product.latest_verification_id = self.verification_id

    class Certified(Event):
        TOPIC = "ProductCertified"
        certificate_id: UUID

        def apply(self, product: Product) -> None:
            product.valid_certificate_id = self.certificate_id

    class CertificateWithdrawn(Event):
        TOPIC = "ProductCertificateWithdrawn"
        certificate_id: UUID

        def apply(self, product: Product) -> None:
            product.valid_certificate_id = None

    class Listed(Event):
        TOPIC = "ProductListed"
        auction_id: UUID

        def apply(self, product: Product) -> None:
            product.open_auction_id = self.auction_id

    class Unlisted(Event):
        TOPIC = "ProductUnlisted"
        auction_id: UUID
        outcome: str  # "UNSOLD" or "CANCELLED"

        def apply(self, product: Product) -> None:
            product.open_auction_id = None

    class OwnershipTransferred(Event):
        TOPIC = "ProductOwnershipTransferred"
        auction_id: UUID
        previous_owner_id: str
        new_owner_id: str
        price: Decimal
        currency: str

        def apply(self, product: Product) -> None:
            product.owner_id = self.new_owner_id
            product.open_auction_id = None

    def __init__(
        self,
        *,
        sku: str,
        serial_number: str,
        name: str,
        manufacturer: str,
        owner_id: str,
        category: str | None = None,
        manufactured_on: date | None = None,
    ) -> None:
        self.sku = sku
        self.serial_number = serial_number
        self.name = name
        self.manufacturer = manufacturer
        self.owner_id = owner_id
        self.category = category
        self.manufactured_on = manufactured_on
        self.verification_status = VerificationStatus.UNVERIFIED
        self.latest_verification_id: UUID | None = None
        self.valid_certificate_id: UUID | None = None
        self.open_auction_id: UUID | None = None

    # -- decisions ------------------------------------------------------------------------

    @classmethod
    def register(
        cls,
        *,
        sku: str,
        serial_number: str,
        name: str,
        manufacturer: str,
        prov: Provenance,
        category: str | None = None,
        manufactured_on: date | None = None,
    ) -> Product:
        sku = require_text("sku", sku, max_length=64)
        serial_number = require_text("serialNumber", serial_number, max_length=128)
        name = require_text("name", name, max_length=200)
        manufacturer = require_text("manufacturer", manufacturer, max_length=200)
        return cls._create(
            cls.Registered,
            id=product_id_for(manufacturer, serial_number),
            sku=sku,
            serial_number=serial_number,
            name=name,
            manufacturer=manufacturer,
            owner_id=prov.actor_id,
            category=require_category(category),
            manufactured_on=require_manufacture_date(manufactured_on, prov.now),
            **prov.event_fields(),
        )

    def refuse_duplicate(self) -> None:
        """Called when a registration finds this product already recorded."""
        raise DuplicateProduct(
            f"manufacturer {self.manufacturer!r} already registered serial number "
            f"{self.serial_number!r}",
            product_id=str(self.id),
        )

    def check_owner(self, actor_id: str, *, what: str) -> None:
        if actor_id != self.owner_id:
            raise Forbidden(f"only the product's owner may {what}", product_id=str(self.id))

    def check_can_request_verification(self) -> None:
        allowed = (VerificationStatus.UNVERIFIED, VerificationStatus.INCONCLUSIVE)
        if self.verification_status not in allowed:
            raise InvalidTransition(
                f"a verification can be requested only when the product is UNVERIFIED or "
                f"INCONCLUSIVE; it is {self.verification_status}",
                product_id=str(self.id),
            )

    def start_verification(self, verification_id: UUID, prov: Provenance) -> None:
        self.check_can_request_verification()
        self.trigger_event(
            self.VerificationStatusChanged,
            verification_id=verification_id,
            status=VerificationStatus.PENDING.value,
            **prov.event_fields(),
        )

    def conclude_verification(
        self, verification_id: UUID, verdict: VerificationStatus, prov: Provenance
    ) -> None:
        if self.latest_verification_id != verification_id:
            raise InvalidTransition(
                "this verification is not the product's latest", product_id=str(self.id)
            )
        self.trigger_event(
            self.VerificationStatusChanged,
            verification_id=verification_id,
            status=verdict.value,
            **prov.event_fields(),
        )

    def check_certifiable(self) -> UUID:
        """Return the AUTHENTIC verification a certificate would rest on."""
        if (
            self.verification_status != VerificationStatus.AUTHENTIC
            or self.latest_verification_id is None
        ):
            raise NotVerified(
                f"the product's latest verification is {self.verification_status}, not AUTHENTIC",
                product_id=str(self.id),
            )
        if self.valid_certificate_id is not None:
            raise InvalidTransition(
                "the product already has a valid certificate",
                product_id=str(self.id),
                certificate_id=str(self.valid_certificate_id),
            )
        return self.latest_verification_id

    def attach_certificate(self, certificate_id: UUID, prov: Provenance) -> None:
        self.check_certifiable()
        self.trigger_event(self.Certified, certificate_id=certificate_id, **prov.event_fields())

    def withdraw_certificate(self, certificate_id: UUID, prov: Provenance) -> None:
        if self.valid_certificate_id == certificate_id:
            self.trigger_event(
                self.CertificateWithdrawn, certificate_id=certificate_id, **prov.event_fields()
            )

    def check_listable(self, seller_id: str) -> None:
        self.check_owner(seller_id, what="open an auction of it")
        if self.valid_certificate_id is None:
            raise NotVerified(
                "an auction needs a product with a valid certificate", product_id=str(self.id)
            )
        if self.open_auction_id is not None:
            raise InvalidTransition(
                "the product already has an open auction",
                product_id=str(self.id),
                auction_id=str(self.open_auction_id),
            )

    def list_in(self, auction_id: UUID, prov: Provenance) -> None:
        self.check_listable(prov.actor_id)
        self.trigger_event(self.Listed, auction_id=auction_id, **prov.event_fields())

    def unlist(self, auction_id: UUID, outcome: str, prov: Provenance) -> None:
        if self.open_auction_id == auction_id:
            self.trigger_event(
                self.Unlisted, auction_id=auction_id, outcome=outcome, **prov.event_fields()
            )

    def transfer_to(
        self, new_owner_id: str, auction_id: UUID, price: Decimal, currency: str, prov: Provenance
    ) -> None:
        if self.open_auction_id != auction_id:
            raise InvalidTransition(
                "the product is not listed in this auction", product_id=str(self.id)
            )
        self.trigger_event(
            self.OwnershipTransferred,
            auction_id=auction_id,
            previous_owner_id=self.owner_id,
            new_owner_id=new_owner_id,
            price=price,
            currency=currency,
            **prov.event_fields(),
        )
