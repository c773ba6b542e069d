"""The command layer's CredentialIssuer port, backed by an Ed25519 key: signs certificates
of authenticity as eddsa-jcs-2022 credentials issued by the key's did:key."""

from __future__ import annotations

import dataclasses

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from commands.credentials import CertificateClaims, SignedCredential
from infra.credentials.certificate_vc import (
    CertificateFields,
    certificate_credential,
    credential_sha256,
    utc_timestamp,
)
from infra.credentials.data_integrity import canonical_json
from infra.credentials.multikey import did_key
from infra.keys import CERTIFICATE_ISSUER_KEY_FILE, load_or_create_ed25519
from infra.settings import Settings


class KeyCredentialIssuer:
    """Signs with one key. The text is the credential's JCS form: the very bytes its
    recorded SHA-256 covers, so whoever serves or stores the text serves what was hashed."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._key = private_key
        self.did = did_key(private_key.public_key())

    def issue(self, claims: CertificateClaims) -> SignedCredential:
        # The same fields under the credential module's own checks (time zone, model pair).
        fields = CertificateFields(
            **{field.name: getattr(claims, field.name) for field in dataclasses.fields(claims)}
        )
        # validFrom and the proof's `created` are both the issuance event's time.
        credential = certificate_credential(fields, self._key, utc_timestamp(claims.issued_at))
        return SignedCredential(
            json=canonical_json(credential).decode(), sha256=credential_sha256(credential)
        )


def certificate_issuer(settings: Settings) -> KeyCredentialIssuer:
    """The installation's issuer: the dedicated certificate key in the data directory (never
    the audit log's key), created on first use."""
    key = load_or_create_ed25519(settings.data_dir / CERTIFICATE_ISSUER_KEY_FILE)
    return KeyCredentialIssuer(key)
