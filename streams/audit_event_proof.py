"""One event's C2SP tlog-proof, assembled from the audit log and the event store: shared by
`verachain audit prove` and the certificate's `proof` in the API."""

from __future__ import annotations

import asyncio

from commands.store import EventStore
from projections.tlog_proof import TlogProof
from streams.audit_leaves import leaf_input
from streams.audit_proofs import AuditProofs
from streams.audit_store import AuditStore
from streams.history_reader import read_history_batch


class ProofUnavailable(LookupError):
    """The event has no proof yet: the log has not appended it, or no signed checkpoint
    covers it. Both pass within seconds on a running system."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def event_tlog_proof(store: EventStore, audit: AuditStore, event_id: str) -> TlogProof:
    """The event's leaf against the first signed checkpoint that covers it (so the answer
    never changes once there is one); its extra data is the leaf input (the canonical
    envelope), so the proof stands alone: the verifier needs only it and the log's key."""
    leaf = await audit.leaf_by_event(event_id)
    if leaf is None:
        raise ProofUnavailable(f"event {event_id} is not in the audit log (yet)")
    checkpoint = await audit.checkpoint_covering(leaf.leaf_index + 1)
    if checkpoint is None:
        raise ProofUnavailable(f"no signed checkpoint covers event {event_id} yet")
    hashes = await AuditProofs(audit).inclusion(leaf.leaf_index, checkpoint.tree_size)
    # The envelope is re-read from the store (the log keeps only hashes); a notification
    # id names exactly one event, so (position - 1, position] is that event.
    (envelope,) = await asyncio.to_thread(
        read_history_batch, store, leaf.position - 1, 1, leaf.position
    )
    return TlogProof(
        index=leaf.leaf_index,
        hashes=hashes,
        checkpoint_note=checkpoint.note,
        extra=leaf_input(envelope),
    )
