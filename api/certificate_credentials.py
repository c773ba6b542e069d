"""What a buyer needs to check a certificate offline: its credential (from the read model)
and the tlog-proof of its issuance event (from the audit log and the event store)."""

from __future__ import annotations

import json
from uuid import UUID

from commands.store import EventStore
from domain.envelope import event_id_for
from streams.audit_event_proof import ProofUnavailable, event_tlog_proof
from streams.audit_store import AuditStore, Pool

ISSUANCE_VERSION = 1  # CertificateIssued creates the aggregate: always its first event


def issuer_of(credential: str | None) -> str | None:
    """The credential's issuer id (our did:key); VCDM 2.0 allows a URL or an object with one."""
    if credential is None:
        return None
    issuer = json.loads(credential).get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    return issuer_id if isinstance(issuer_id, str) else None


async def issuance_proof(store: EventStore, pool: Pool, certificate_id: UUID) -> str | None:
    """The C2SP tlog-proof text of the certificate's issuance, or None until the audit log
    has appended the event and signed a checkpoint covering it (about a second)."""
    event_id = event_id_for(certificate_id, ISSUANCE_VERSION)
    try:
        proof = await event_tlog_proof(store, AuditStore(pool), str(event_id))
    except ProofUnavailable:
        return None
    return proof.format()
