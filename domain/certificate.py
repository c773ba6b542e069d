"""Certificate of authenticity: issued for an AUTHENTIC verification, revoked at most once."""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import AggregateCreated, BaseAggregate

from domain.enum_field import EnumField
from domain.errors import AlreadyRevoked
from domain.event_base import VeraEvent
from domain.provenance import Provenance
from domain.rules import require_text
from domain.statuses import CertificateStatus

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


class Certificate(BaseAggregate[UUID]):
    TOPIC = "Certificate"
    status = EnumField(CertificateStatus)

    class Event(VeraEvent):
        pass

    class Issued(Event, AggregateCreated):
        """Carries every field the signed credential is built from, and (from v2) the
        credential itself, as canonical JSON text, with its SHA-256. v1 events were issued
        before certificates had credentials: both fields are null for them."""

        TOPIC = "CertificateIssued"
        class_version = 2
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
        credential: str | None
        credential_sha256: str | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["credential"] = None
            state["credential_sha256"] = None

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
        credential: str,
        credential_sha256: str,
        prov: Provenance,
    ) -> Certificate:
        _check_credential(credential, credential_sha256)
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
            credential=credential,
            credential_sha256=credential_sha256,
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


def _check_credential(credential: str, credential_sha256: str) -> None:
    """The event must hash what it carries: the credential is kept in its canonical (JCS)
    text, so its bytes' SHA-256 is the recorded one, and anyone can recompute it. A mismatch
    is a bug in the issuer, not bad input."""
    if not _SHA256_HEX.fullmatch(credential_sha256):
        raise ValueError(f"credential_sha256 {credential_sha256!r} is not lowercase SHA-256 hex")
    if hashlib.sha256(credential.encode()).hexdigest() != credential_sha256:
        raise ValueError("credential_sha256 is not the SHA-256 of the credential's text")
