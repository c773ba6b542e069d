"""`audit verify`: recompute every leaf from the history (the store or the Kafka topics),
rebuild the tree, and hold it against every signed checkpoint.

What an auditor learns: each stored checkpoint is signed by the log's key; the recomputed
tree at each checkpoint's size has exactly that checkpoint's root (so consecutive
checkpoints are consistent: both are prefixes of one history), the persisted proofs agree
(the served consistency proof between each consecutive pair verifies), and a trusted
checkpoint kept from earlier is a prefix of today's history. The first failure is named:
a leaf index when a recomputed leaf differs from the persisted one (an event changed or
deleted in the store), else the checkpoint whose root or signature does not hold."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Protocol

from projections.checkpoint import Checkpoint, CheckpointError, parse_checkpoint
from projections.merkle import Frontier
from projections.merkle_verify import verify_consistency
from projections.signed_note import NoteError, VerifierKey, open_note
from streams.audit_leaves import LeafBatch
from streams.audit_proofs import AuditProofs
from streams.audit_store import AuditStore, StoredCheckpoint

Advance = Callable[[int], None]  # leaves done, for a progress bar


class LogView(Protocol):
    """What verification reads of the log: the database's, or an export's files."""

    async def checkpoints(self) -> list[StoredCheckpoint]: ...

    async def leaf_hashes(self, start: int, end: int) -> dict[int, bytes]: ...

    async def size(self) -> int: ...

    async def consistency(self, old_size: int, new_size: int) -> list[bytes]: ...


class DatabaseLog:
    """The log as PostgreSQL holds it (proofs assembled from the stored nodes)."""

    def __init__(self, audit: AuditStore) -> None:
        self.audit = audit
        self.proofs = AuditProofs(audit)

    async def checkpoints(self) -> list[StoredCheckpoint]:
        return await self.audit.checkpoints()

    async def leaf_hashes(self, start: int, end: int) -> dict[int, bytes]:
        return await self.audit.leaf_hashes(start, end)

    async def size(self) -> int:
        return await self.audit.size()

    async def consistency(self, old_size: int, new_size: int) -> list[bytes]:
        return await self.proofs.consistency(old_size, new_size)


@dataclass
class VerifyReport:
    leaves: int = 0
    checkpoints: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def fail(self, problem: str) -> None:
        self.problems.append(problem)


async def verify_log(
    leaves: AsyncIterator[LeafBatch],
    log: LogView | AuditStore,
    log_key: VerifierKey,
    *,
    trusted: str | None = None,
    advance: Advance | None = None,
) -> VerifyReport:
    """Check the log against the history in `leaves` (store order). `trusted` is a signed
    checkpoint note the auditor kept."""
    audit = DatabaseLog(log) if isinstance(log, AuditStore) else log
    report = VerifyReport()
    stored = await audit.checkpoints()
    signed = _signed_checkpoints(stored, log_key, report)
    expected_trusted = _trusted_checkpoint(trusted, log_key, report)
    targets = sorted(
        {c.size for c in signed.values()} | ({expected_trusted.size} if expected_trusted else set())
    )
    roots = await _recompute(leaves, audit, targets, report, advance)
    for size, checkpoint in sorted(signed.items()):
        report.checkpoints += 1
        if size > report.leaves:
            report.fail(f"checkpoint {size}: the history holds only {report.leaves} events")
        elif roots.get(size) != checkpoint.root:
            report.fail(
                f"checkpoint {size}: its root is not the root of the history's first {size} events"
            )
    if expected_trusted is not None:
        size = expected_trusted.size
        if size > report.leaves:
            report.fail(f"trusted checkpoint {size}: the history holds only {report.leaves} events")
        elif roots.get(size) != expected_trusted.root:
            report.fail(f"trusted checkpoint {size}: today's history does not extend it")
    await _check_served_consistency(audit, stored, report)
    return report


def _signed_checkpoints(
    stored: list[StoredCheckpoint], log_key: VerifierKey, report: VerifyReport
) -> dict[int, Checkpoint]:
    signed: dict[int, Checkpoint] = {}
    for row in stored:
        try:
            checkpoint = parse_checkpoint(open_note(row.note, log_key))
        except (NoteError, CheckpointError) as e:
            report.fail(f"checkpoint {row.tree_size}: {e}")
            continue
        if checkpoint.size != row.tree_size or checkpoint.root != row.root:
            report.fail(f"checkpoint {row.tree_size}: the stored row differs from its signed note")
            continue
        signed[checkpoint.size] = checkpoint
    return signed


def _trusted_checkpoint(
    note: str | None, log_key: VerifierKey, report: VerifyReport
) -> Checkpoint | None:
    if note is None:
        return None
    try:
        return parse_checkpoint(open_note(note, log_key))
    except (NoteError, CheckpointError) as e:
        report.fail(f"trusted checkpoint: {e}")
        return None


async def _recompute(
    leaves: AsyncIterator[LeafBatch],
    audit: LogView,
    targets: list[int],
    report: VerifyReport,
    advance: Advance | None,
) -> dict[int, bytes]:
    """Fold the recomputed leaves; the root at every target size; the first leaf that
    differs from the persisted one is reported (once: the rest follow from it)."""
    frontier = Frontier()
    roots: dict[int, bytes] = {}
    pending = iter(targets)
    target = next(pending, None)
    mismatch_reported = False
    async for batch in leaves:
        first = frontier.size
        persisted = await audit.leaf_hashes(first, first + len(batch))
        for offset, digest in enumerate(batch.hashes):
            index = first + offset
            if not mismatch_reported and persisted.get(index) not in (None, digest):
                report.fail(
                    f"leaf {index} (store position {batch.positions[offset]}, event "
                    f"{batch.event_ids[offset]}): the history's event does not hash to the "
                    "logged leaf"
                )
                mismatch_reported = True
            frontier.append(digest)
            while target is not None and frontier.size == target:
                roots[target] = frontier.root()
                target = next(pending, None)
        if advance is not None:
            advance(len(batch))
    report.leaves = frontier.size
    logged = await audit.size()
    if not mismatch_reported and logged > frontier.size:
        report.fail(f"leaf {frontier.size}: logged, but the history has no such event")
    return roots


async def _check_served_consistency(
    proofs: LogView, stored: list[StoredCheckpoint], report: VerifyReport
) -> None:
    for older, newer in itertools.pairwise(stored):
        try:
            proof = await proofs.consistency(older.tree_size, newer.tree_size)
        except LookupError as e:
            report.fail(f"checkpoint {newer.tree_size}: no consistency proof ({e})")
            continue
        if not verify_consistency(older.tree_size, newer.tree_size, proof, older.root, newer.root):
            report.fail(
                f"checkpoint {newer.tree_size}: the log's consistency proof from "
                f"{older.tree_size} does not verify"
            )
