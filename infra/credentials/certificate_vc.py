"""The certificate of authenticity as a W3C Verifiable Credential 2.0, signed eddsa-jcs-2022.

Context: only `https://www.w3.org/ns/credentials/v2`. Our terms (sku, serialNumber, verdict,
aiScore...) and the `CertificateOfAuthenticity` type fall under that context's `@vocab`
(the issuer-dependent vocabulary), which VCDM 2.0 allows. eddsa-jcs-2022 signs the JSON bytes
and never processes JSON-LD, so a context of our own would add a document to host and pin for
no verification benefit; a JSON-LD consumer still gets well-formed IRIs for every term.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from infra.credentials.data_integrity import add_proof, canonical_json
from infra.credentials.multikey import did_key, verification_method

VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
CREDENTIAL_TYPE = "CertificateOfAuthenticity"


@dataclass(frozen=True)
class CertificateFields:
    """What the credential states: the fields of the CertificateIssued event, and its time."""

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

    def __post_init__(self) -> None:
        if self.issued_at.tzinfo is None:
            raise ValueError("issued_at must be timezone-aware")
        if (self.ai_model_name is None) != (self.ai_model_version is None):
            raise ValueError("ai_model_name and ai_model_version go together")
        if self.ai_score is not None and not self.ai_score.is_finite():
            raise ValueError(f"ai_score {self.ai_score} is not a finite decimal")


def certificate_credential(
    fields: CertificateFields, private_key: Ed25519PrivateKey, created: str
) -> dict[str, Any]:
    """The signed credential, issued by the did:key of `private_key`. Ed25519 is
    deterministic, so the same fields, key and `created` always give the same bytes."""
    public_key = private_key.public_key()
    unsigned = {
        "@context": [VC_V2_CONTEXT],
        "type": ["VerifiableCredential", CREDENTIAL_TYPE],
        "id": fields.certificate_id.urn,
        "issuer": did_key(public_key),
        "validFrom": utc_timestamp(fields.issued_at),
        "credentialSubject": {
            "id": fields.product_id.urn,
            "sku": fields.sku,
            "serialNumber": fields.serial_number,
            "manufacturer": fields.manufacturer,
            "productName": fields.product_name,
            "verification": {
                "id": fields.verification_id.urn,
                "verdict": fields.verdict,
                "inspector": fields.inspector_id,
                # A string: JSON numbers are binary floats to most readers (and to JCS).
                "aiScore": None if fields.ai_score is None else format(fields.ai_score, "f"),
                "aiModel": (
                    None
                    if fields.ai_model_name is None
                    else {"name": fields.ai_model_name, "version": fields.ai_model_version}
                ),
            },
        },
    }
    return add_proof(unsigned, private_key, verification_method(public_key), created)


def credential_sha256(credential: dict[str, Any]) -> str:
    """Hex SHA-256 of the JCS form of the whole signed credential: what the issuance event
    and the audit log record, recomputable by anyone holding the credential."""
    return hashlib.sha256(canonical_json(credential)).hexdigest()


def utc_timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with a `Z` (an XML Schema dateTimeStamp); microseconds only if any."""
    if moment.tzinfo is None:
        raise ValueError("the moment must be timezone-aware")
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat() + "Z"
