"""The port through which issuing a certificate gets its signed credential.

Signing needs a private key and the W3C credential format, both infrastructure; handlers
may not import it, so they ask this port and the composition root plugs in the signer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol
from uuid import UUID


@dataclass(frozen=True, slots=True)
class CertificateClaims:
    """What the credential states: the CertificateIssued event's fields and its time."""

    certificate_id: UUID
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
    issued_at: datetime


@dataclass(frozen=True, slots=True)
class SignedCredential:
    """The credential as compact JSON text, and the hex SHA-256 the issuance event records."""

    json: str
    sha256: str


class CredentialIssuer(Protocol):
    def issue(self, claims: CertificateClaims) -> SignedCredential:
        """Sign the claims; the same claims and key always give the same text (Ed25519
        signatures are deterministic). Runs on the bus's batch thread: keep it quick."""
        ...
