"""The auditor's part of the Query root: the latest signed checkpoint (public), inclusion
and consistency proofs served from the persisted tree, one aggregate's event history with
each event's leaf index, and an aggregate's state as of a time or version (its events
replayed through the read model's own projection functions). Everything but the
checkpoint needs the auditor or admin role. These are the only reads of the event store."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from api.ids import parse_id
from commands.actor import Role, require_role
from domain.envelope import format_utc
from domain.errors import NotFound, ValidationFailed
from projections.merkle import ProofRequestError
from projections.read_rows import Envelope, Row, project
from streams.audit_proofs import AuditProofs
from streams.audit_store import AuditStore, StoredCheckpoint
from streams.history_reader import aggregate_history

MAX_VERSION = 2**31 - 1


@strawberry.type
class Checkpoint:
    origin: str
    tree_size: int
    root_hash: str = strawberry.field(description="base64 of the RFC 9162 root")
    note: str = strawberry.field(description="the C2SP signed note (tlog-checkpoint)")
    signed_at: datetime

    @classmethod
    def from_stored(cls, stored: StoredCheckpoint, origin: str) -> Checkpoint:
        return cls(
            origin=origin,
            tree_size=stored.tree_size,
            root_hash=_b64(stored.root),
            note=stored.note,
            signed_at=stored.signed_at,
        )


@strawberry.type
class InclusionProof:
    leaf_index: int
    tree_size: int
    hashes: list[str]


@strawberry.type
class ConsistencyProof:
    from_size: int
    to_size: int
    hashes: list[str]


@strawberry.type
class EventRecord:
    leaf_index: int | None = strawberry.field(
        description="the event's leaf in the audit log; null until the log has appended it"
    )
    position: int
    envelope: str = strawberry.field(description="the JSON published to Kafka")


@strawberry.type
class AggregateState:
    aggregate_id: strawberry.ID
    aggregate_type: str
    version: int
    as_of: datetime = strawberry.field(description="when the last replayed event happened")
    state: str = strawberry.field(description="the read model's row as of then, as JSON")


def _b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode()


def _audit(info: Info[Any, None]) -> AuditStore:
    return AuditStore(info.context.services.pool)


def _require_auditor(info: Info[Any, None], action: str) -> None:
    require_role(info.context.require_actor(), Role.AUDITOR, Role.ADMIN, action=action)


async def _latest(info: Info[Any, None]) -> StoredCheckpoint:
    latest = await _audit(info).latest_checkpoint()
    if latest is None:
        raise NotFound("no audit checkpoint has been signed yet")
    return latest


async def _history(
    info: Info[Any, None], aggregate_id: str, as_of: datetime | None, up_to_version: int | None
) -> list[Envelope]:
    if up_to_version is not None and up_to_version < 1:
        raise ValidationFailed("upToVersion must be positive")
    envelopes = await aggregate_history(
        info.context.services.store,
        parse_id(aggregate_id, "aggregateId"),
        0,
        up_to_version or MAX_VERSION,
    )
    if not envelopes:
        raise NotFound(f"no events for aggregate {aggregate_id}")
    if as_of is not None:
        cutoff = format_utc(as_of)  # same fixed-width UTC format: compares as text
        envelopes = [e for e in envelopes if str(e["occurred_at"]) <= cutoff]
    return envelopes


@strawberry.type
class AuditQueries:
    @strawberry.field  # The latest signed checkpoint of the audit log (public).
    async def audit_checkpoint(self, info: Info[Any, None]) -> Checkpoint:
        return Checkpoint.from_stored(
            await _latest(info), info.context.services.settings.audit_origin
        )

    @strawberry.field  # RFC 9162 inclusion proof; treeSize: the latest checkpoint's.
    async def inclusion_proof(
        self, info: Info[Any, None], leaf_index: int, tree_size: int | None = None
    ) -> InclusionProof:
        _require_auditor(info, "reading an inclusion proof")
        size = tree_size if tree_size is not None else (await _latest(info)).tree_size
        await _check_size(info, size)
        try:
            hashes = await AuditProofs(_audit(info)).inclusion(leaf_index, size)
        except ProofRequestError as e:
            raise ValidationFailed(str(e)) from e
        return InclusionProof(
            leaf_index=leaf_index, tree_size=size, hashes=[_b64(h) for h in hashes]
        )

    @strawberry.field  # RFC 9162 consistency proof; toSize: the latest checkpoint's.
    async def consistency_proof(
        self, info: Info[Any, None], from_size: int, to_size: int | None = None
    ) -> ConsistencyProof:
        _require_auditor(info, "reading a consistency proof")
        size = to_size if to_size is not None else (await _latest(info)).tree_size
        await _check_size(info, size)
        try:
            hashes = await AuditProofs(_audit(info)).consistency(from_size, size)
        except ProofRequestError as e:
            raise ValidationFailed(str(e)) from e
        return ConsistencyProof(from_size=from_size, to_size=size, hashes=[_b64(h) for h in hashes])

    @strawberry.field  # One aggregate's events (auditor, admin), oldest first.
    async def event_history(
        self,
        info: Info[Any, None],
        aggregate_id: strawberry.ID,
        as_of: datetime | None = None,
        up_to_version: int | None = None,
    ) -> list[EventRecord]:
        _require_auditor(info, "reading the event history")
        envelopes = await _history(info, aggregate_id, as_of, up_to_version)
        leaves = await _audit(info).leaf_indexes([int(e["position"]) for e in envelopes])
        return [
            EventRecord(
                leaf_index=leaves.get(int(e["position"])),
                position=int(e["position"]),
                envelope=json.dumps(e),
            )
            for e in envelopes
        ]

    @strawberry.field  # An aggregate's state as of a time or version, replayed from its events
    async def state_as_of(
        self,
        info: Info[Any, None],
        aggregate_id: strawberry.ID,
        as_of: datetime | None = None,
        up_to_version: int | None = None,
    ) -> AggregateState:
        _require_auditor(info, "reading a past state")
        envelopes = await _history(info, aggregate_id, as_of, up_to_version)
        if not envelopes:
            raise NotFound(f"aggregate {aggregate_id} did not exist at {as_of}")
        row: Row | None = None
        for envelope in envelopes:
            projected = project(envelope, row)
            if projected is not None:
                row = projected.row
        last = envelopes[-1]
        return AggregateState(
            aggregate_id=strawberry.ID(str(last["aggregate_id"])),
            aggregate_type=str(last["aggregate_type"]),
            version=int(last["aggregate_version"]),
            as_of=datetime.fromisoformat(str(last["occurred_at"])),
            state=json.dumps(row, default=str, sort_keys=True),
        )


async def _check_size(info: Info[Any, None], size: int) -> None:
    logged = await _audit(info).size()
    if not 0 < size <= logged:
        raise ValidationFailed(f"treeSize must be between 1 and the log's size ({logged})")
