"""Certificate of authenticity: issued for an AUTHENTIC verification, revoked at most once."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from eventsourcing.domain import AggregateCreated, BaseAggregate

from domain.enum_field import EnumField
from domain.errors import AlreadyRevoked
from domain.event_base import VeraEvent
from domain.provenance import Provenance
from domain.rules import require_text
from domain.statuses import CertificateStatus


class Certificate(BaseAggregate[UUID]):
    TOPIC = "Certificate"
    status = EnumField(CertificateStatus)

    class Event(VeraEvent):
        pass

    class Issued(Event, AggregateCreated):
        """Carries every field the signed credential of a later issue is built from."""

        TOPIC = "CertificateIssued"
        product_id: UUID
        sku: str
        serial_number: str
        manufacturer: str
        product_name: str
        verification_id: UUID
        verdict: str
        inspector_id: str
        ai_score: Decimal | None
        ai_model_name: str | None
        ai_model_version: str | None
        issued_by: str

    class Revoked(Event):
        TOPIC = "CertificateRevoked"
        reason: str
        revoked_by: str

        def apply(self, certificate: Certificate) -> None:
            certificate.status = CertificateStatus.REVOKED
            certificate.revocation_reason = self.reason

    def __init__(self, *, product_id: UUID, verification_id: UUID, issued_by: str) -> None:
        self.product_id = product_id
        self.verification_id = verification_id
        self.issued_by = issued_by
        self.status = CertificateStatus.VALID
        self.revocation_reason: str | None = None

    @classmethod
    def issue(
        cls,
        *,
        certificate_id: UUID,
        product_id: UUID,
        sku: str,
        serial_number: str,
        manufacturer: str,
        product_name: str,
        verification_id: UUID,
        verdict: str,
        inspector_id: str,
        ai_score: Decimal | None,
        ai_model_name: str | None,
        ai_model_version: str | None,
        prov: Provenance,
    ) -> Certificate:
        return cls._create(
            cls.Issued,
            id=certificate_id,
            product_id=product_id,
            sku=sku,
            serial_number=serial_number,
            manufacturer=manufacturer,
            product_name=product_name,
            verification_id=verification_id,
            verdict=verdict,
            inspector_id=inspector_id,
            ai_score=ai_score,
            ai_model_name=ai_model_name,
            ai_model_version=ai_model_version,
            issued_by=prov.actor_id,
            **prov.event_fields(),
        )

    def check_revocable(self, reason: str) -> str:
        if self.status == CertificateStatus.REVOKED:
            raise AlreadyRevoked("the certificate is already revoked", certificate_id=str(self.id))
        return require_text("reason", reason, max_length=500)

    def revoke(self, reason: str, prov: Provenance) -> None:
        reason = self.check_revocable(reason)
        self.trigger_event(
            self.Revoked, reason=reason, revoked_by=prov.actor_id, **prov.event_fields()
        )
