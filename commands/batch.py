"""Group commit: decide a batch of commands against cached aggregates, save once.

Runs synchronously on the bus's single batch thread (eventsourcing is synchronous).
A refused command never affects the others. A clash with another writer re-runs only the
commands whose aggregates it invalidated; the rest are saved as decided."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from commands.actor import Actor
from commands.aggregate_cache import AggregateCache
from commands.handlers import Outcome
from commands.messages import Command
from commands.recorder import PendingReceipt, StoredReceipt
from commands.registry import HANDLERS
from commands.results import CommandResult
from commands.store import AnyAggregate, EventStore
from commands.workspace import HandlerContext, Workspace
from domain.errors import ConcurrencyConflict, DomainError, ValidationFailed
from domain.event_base import VeraEvent
from domain.provenance import Provenance

log = logging.getLogger(__name__)

# One save() of ~3,000 events hangs in psycopg's pipeline mode (FINDINGS.md); stay well below.
MAX_EVENTS_PER_SAVE = 1000


class InternalError(Exception):
    """Something other than a domain rule failed; the command was not recorded."""

    code = "INTERNAL"


@dataclass(eq=False)
class Submission:
    """One dispatched command waiting for its outcome."""

    command: Command
    actor: Actor
    correlation_id: UUID
    causation_id: UUID
    attempts: int = 0
    result: CommandResult | None = None
    error: BaseException | None = None

    @property
    def receipt_key(self) -> str | None:
        key = self.command.idempotency_key
        if key is None:
            return None
        # Keys are scoped to the caller and the command type: two users may pick the same key.
        return json.dumps([self.actor.id, type(self.command).__name__, key])

    def fingerprint(self) -> str:
        """What the command asked for; a reused key with other content is refused."""
        payload = {f.name: str(getattr(self.command, f.name)) for f in fields(self.command)}
        encoded = json.dumps([type(self.command).__name__, payload], sort_keys=True)
        return hashlib.sha256(encoded.encode()).hexdigest()


@dataclass(eq=False)
class Decided:
    """A command whose handler accepted it: its events, not yet saved."""

    submission: Submission
    outcome: Outcome
    events: list[VeraEvent]
    touched: list[UUID]


@dataclass
class BatchStats:
    batches: int = 0
    commands: int = 0
    saved_events: int = 0
    conflict_reruns: int = 0
    stale_refusal_reruns: int = 0
    batch_sizes: list[int] = field(default_factory=list)
    batch_seconds: list[float] = field(default_factory=list)

    def record_batch(self, size: int, seconds: float) -> None:
        self.batches += 1
        self.commands += size
        if len(self.batch_sizes) < 100_000:  # bounded: a long-running bus keeps only the start
            self.batch_sizes.append(size)
            self.batch_seconds.append(seconds)


class BatchProcessor:
    def __init__(
        self,
        store: EventStore,
        cache: AggregateCache,
        clock: Callable[[], datetime],
        *,
        max_conflict_retries: int = 5,
        max_events_per_save: int = MAX_EVENTS_PER_SAVE,
    ) -> None:
        self.store = store
        self.cache = cache
        self.clock = clock
        self.max_conflict_retries = max_conflict_retries
        self.max_events_per_save = max_events_per_save
        self.stats = BatchStats()

    # -- entry point ----------------------------------------------------------------------

    def run(self, submissions: Sequence[Submission]) -> None:
        """Fill in `result` or `error` on every submission."""
        started = time.perf_counter()
        try:
            self._run(submissions)
        finally:
            self.stats.record_batch(len(submissions), time.perf_counter() - started)

    def _run(self, submissions: Sequence[Submission]) -> None:
        try:
            todo, followers = self._apply_receipts(submissions)
            while todo:
                todo = self._run_round(todo)
        except Exception as e:  # the store is unreachable, or a bug: fail loudly, per command
            log.exception("command batch failed")
            self.cache.clear()
            for s in submissions:
                if s.result is None and s.error is None:
                    s.error = InternalError(f"the command could not be recorded: {e}")
            return
        for follower, leader in followers:
            self._copy_outcome(follower, leader)

    # -- idempotency ----------------------------------------------------------------------

    def _apply_receipts(
        self, submissions: Sequence[Submission]
    ) -> tuple[list[Submission], list[tuple[Submission, Submission]]]:
        keys = [k for s in submissions if (k := s.receipt_key) is not None]
        stored = self.store.select_receipts(keys) if keys else {}
        todo: list[Submission] = []
        leaders: dict[str, Submission] = {}
        followers: list[tuple[Submission, Submission]] = []
        for s in submissions:
            key = s.receipt_key
            if key is not None and key in stored:
                self._answer_from_receipt(s, stored[key])
            elif key is not None and key in leaders:
                followers.append((s, leaders[key]))  # same key twice in one batch
            else:
                if key is not None:
                    leaders[key] = s
                todo.append(s)
        return todo, followers

    @staticmethod
    def _answer_from_receipt(s: Submission, receipt: StoredReceipt) -> None:
        if receipt.fingerprint != s.fingerprint():
            s.error = ValidationFailed(
                "this idempotency key was already used for a different command",
                field="idempotencyKey",
            )
        else:
            s.result = CommandResult.from_json(receipt.result, replayed=True)

    @staticmethod
    def _copy_outcome(follower: Submission, leader: Submission) -> None:
        if follower.fingerprint() != leader.fingerprint():
            follower.error = ValidationFailed(
                "this idempotency key was already used for a different command",
                field="idempotencyKey",
            )
        elif leader.result is not None:
            r = leader.result
            follower.result = CommandResult(
                r.ids, r.aggregate_id, r.aggregate_version, r.position, replayed=True
            )
        else:
            follower.error = leader.error

    # -- one round: decide, save, resolve clashes ------------------------------------------

    def _run_round(self, todo: list[Submission]) -> list[Submission]:
        """Decide and save as many of `todo` as fit in one save; return the rest."""
        workspace = Workspace(self._load)
        carried: list[Decided] = []
        refused: list[tuple[Submission, list[UUID]]] = []
        rerun = todo
        deferred: list[Submission] = []
        while True:
            decided, more_refused, overflow = self._decide(rerun, workspace, carried)
            deferred = overflow + deferred
            refused.extend(more_refused)
            batch = carried + decided
            if not batch:
                break
            try:
                recordings = self.store.append(
                    [e for d in batch for e in d.events], self._receipts_for(batch)
                )
            except IntegrityError:
                carried, rerun = self._split_after_clash(batch, workspace)
                continue
            except Exception:
                # Unknown outcome of the transaction: nothing cached may be trusted.
                self.cache.evict(workspace.aggregates)
                raise
            self._finish(batch, recordings, workspace)
            break
        stale = self._stale_refusals(refused, workspace)
        return stale + deferred

    def _decide(
        self, submissions: list[Submission], workspace: Workspace, carried: list[Decided]
    ) -> tuple[list[Decided], list[tuple[Submission, list[UUID]]], list[Submission]]:
        now = self.clock()
        budget = self.max_events_per_save - sum(len(d.events) for d in carried)
        decided: list[Decided] = []
        refused: list[tuple[Submission, list[UUID]]] = []
        redo: list[Submission] = []
        for index, s in enumerate(submissions):
            if budget <= 0:
                return decided, refused, redo + submissions[index:]
            prov = Provenance(s.actor.id, now, s.correlation_id, s.causation_id)
            ctx = HandlerContext(workspace, s.actor, prov)
            handler = HANDLERS[type(s.command)]
            try:
                outcome = handler(s.command, ctx)
            except DomainError as e:
                s.error = e
                refused.append((s, list(ctx.touched)))
                redo.extend(self._discard_partial_changes(ctx, workspace, carried, decided))
                continue
            except Exception:
                log.exception("handler for %s failed", type(s.command).__name__)
                s.error = InternalError(f"{type(s.command).__name__} failed unexpectedly")
                redo.extend(self._discard_partial_changes(ctx, workspace, carried, decided))
                continue
            events = ctx.collect_events()
            budget -= len(events)
            decided.append(Decided(s, outcome, events, list(ctx.touched)))
        return decided, refused, redo

    def _discard_partial_changes(
        self,
        ctx: HandlerContext,
        workspace: Workspace,
        carried: list[Decided],
        decided: list[Decided],
    ) -> list[Submission]:
        """Handlers check before they change anything; if one did not, drop what it touched
        and return the commands decided on those objects, to be decided again."""
        dirty = [
            a
            for a in ctx.touched
            if (agg := workspace.aggregates.get(a)) is not None and agg.pending_events
        ]
        if not dirty:
            return []
        log.error("a refused command left changes on %s; re-deciding them", dirty)
        for aggregate_id in dirty:
            aggregate = workspace.aggregates[aggregate_id]
            aggregate.collect_events()
        affected, tainted = _taint_closure(carried + decided, set(dirty))
        self.cache.evict(tainted)
        workspace.forget(tainted)
        for d in affected:
            (carried if d in carried else decided).remove(d)
        return [d.submission for d in affected]

    def _receipts_for(self, batch: list[Decided]) -> list[PendingReceipt]:
        receipts: list[PendingReceipt] = []
        event_index = -1
        for d in batch:
            event_index += len(d.events)
            key = d.submission.receipt_key
            if key is not None:
                receipts.append(
                    PendingReceipt(
                        key,
                        d.submission.fingerprint(),
                        _result_json(d, self._version_of(d)),
                        event_index,
                    )
                )
        return receipts

    @staticmethod
    def _version_of(d: Decided) -> int:
        main = d.outcome.main_aggregate_id
        versions = [e.originator_version for e in d.events if e.originator_id == main]
        return max(versions) if versions else 0

    def _split_after_clash(
        self, batch: list[Decided], workspace: Workspace
    ) -> tuple[list[Decided], list[Submission]]:
        """Find what another writer changed; keep the unaffected decisions, re-run the rest."""
        ids = list(workspace.base_versions)
        stored_versions = self.store.max_versions(ids)
        conflicted = {a for a in ids if stored_versions.get(a, 0) != workspace.base_versions[a]}
        keys = [k for d in batch if (k := d.submission.receipt_key) is not None]
        taken = self.store.select_receipts(keys) if keys else {}
        by_receipt = [d for d in batch if d.submission.receipt_key in taken]
        affected, tainted = _taint_closure(batch, conflicted, seed=by_receipt)
        if not affected:
            msg = "the event store refused the batch but no aggregate had changed"
            raise RuntimeError(msg)
        self.cache.evict(tainted)
        for aggregate_id in tainted:
            aggregate = workspace.aggregates.get(aggregate_id)
            if aggregate is not None:
                aggregate.collect_events()
        workspace.forget(tainted)
        rerun: list[Submission] = []
        for d in affected:
            s = d.submission
            s.attempts += 1
            self.stats.conflict_reruns += 1
            if s.receipt_key is not None and s.receipt_key in taken:
                # Another process handled the same idempotency key first: answer with its result.
                self._answer_from_receipt(s, taken[s.receipt_key])
            elif s.attempts > self.max_conflict_retries:
                s.error = ConcurrencyConflict(
                    "other writers kept changing the same data; try again",
                    attempts=s.attempts,
                )
            else:
                rerun.append(s)
        carried = [d for d in batch if d not in affected]
        return carried, rerun

    def _finish(
        self, batch: list[Decided], recordings: Sequence[Any], workspace: Workspace
    ) -> None:
        positions = iter(r.notification.id for r in recordings)
        for d in batch:
            last = 0
            for _ in d.events:
                last = next(positions)
            d.submission.result = CommandResult.from_json(
                {**_result_json(d, self._version_of(d)), "position": last}, replayed=False
            )
        self.stats.saved_events += len(recordings)
        for aggregate in workspace.aggregates.values():
            self.store.snapshot_if_due(aggregate, workspace.base_versions.get(aggregate.id, 0))
            self.cache.put(aggregate)
            # From here on these versions are committed: a later clash in the same round
            # compares against them, not against what was first loaded.
            workspace.base_versions[aggregate.id] = aggregate.version

    def _stale_refusals(
        self, refused: list[tuple[Submission, list[UUID]]], workspace: Workspace
    ) -> list[Submission]:
        """A refusal decided on a stale cached aggregate is re-decided on fresh state."""
        candidates = [(s, touched) for s, touched in refused if touched and s.error is not None]
        if not candidates:
            return []
        ids = list({a for _, touched in candidates for a in touched})
        stored = self.store.max_versions(ids)
        stale = {a for a in ids if stored.get(a, 0) != workspace.base_versions.get(a, 0)}
        if not stale:
            return []
        self.cache.evict(stale)
        again: list[Submission] = []
        for s, touched in candidates:
            if stale.intersection(touched) and s.attempts < self.max_conflict_retries:
                s.attempts += 1
                s.error = None
                self.stats.stale_refusal_reruns += 1
                again.append(s)
        return again

    def _load(self, aggregate_id: UUID) -> AnyAggregate | None:
        cached = self.cache.get(aggregate_id)
        if cached is not None:
            return cached
        return self.store.load(aggregate_id)


def _result_json(d: Decided, version: int) -> dict[str, Any]:
    return {
        "ids": d.outcome.ids,
        "aggregate_id": str(d.outcome.main_aggregate_id),
        "aggregate_version": version,
        "position": 0,
    }


def _taint_closure(
    batch: list[Decided], conflicted: set[UUID], seed: list[Decided] | None = None
) -> tuple[list[Decided], set[UUID]]:
    """Commands that touched a conflicted aggregate, plus (transitively) every command that
    shared an aggregate with one of those: their decisions rested on invalid state."""
    tainted = set(conflicted)
    affected: list[Decided] = list(seed or [])
    for d in affected:
        tainted.update(d.touched)
    changed = True
    while changed:
        changed = False
        for d in batch:
            if d not in affected and tainted.intersection(d.touched):
                affected.append(d)
                tainted.update(d.touched)
                changed = True
    return affected, tainted
