"""A real credential issuer for tests that run handlers or build certificates directly: the
production signer with a fixed key, so credentials are deterministic across runs."""

from __future__ import annotations

from functools import cache
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from commands.credentials import CertificateClaims
from domain.certificate import Certificate
from domain.provenance import Provenance
from infra.credentials.issuer import KeyCredentialIssuer

FIXED_SEED = bytes(range(32))


@cache
def fixed_issuer() -> KeyCredentialIssuer:
    return KeyCredentialIssuer(Ed25519PrivateKey.from_private_bytes(FIXED_SEED))


def issue_with_credential(*, prov: Provenance, **fields: Any) -> Certificate:
    """Certificate.issue with the credential the handler would attach (signed by the fixed
    issuer, at the provenance's time); `fields` are Certificate.issue's other arguments."""
    signed = fixed_issuer().issue(CertificateClaims(issued_at=prov.now, **fields))
    return Certificate.issue(
        **fields, credential=signed.json, credential_sha256=signed.sha256, prov=prov
    )
