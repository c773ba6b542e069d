"""Group commit: decide a batch of commands against cached aggregates, save once.

Runs synchronously on the bus's single batch thread (eventsourcing is synchronous).
A refused command never affects the others. A clash with another writer re-runs only the
commands whose aggregates it invalidated; the rest are saved as decided.

The cache holds committed aggregates only. A batch decides on working copies; they replace
the cached ones after the batch is saved, and are simply dropped when it is not."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from commands.aggregate_cache import AggregateCache, working_copy
from commands.batch_stats import BatchStats
from commands.credentials import CredentialIssuer
from commands.handlers import Outcome
from commands.idempotency import answer_from_receipt, copy_outcome, split_by_receipts
from commands.recorder import PendingReceipt
from commands.registry import HANDLERS
from commands.results import CommandResult
from commands.store import AnyAggregate, EventStore
from commands.submission import InternalError, Submission
from commands.workspace import HandlerContext, Workspace
from domain.errors import ConcurrencyConflict, DomainError
from domain.event_base import VeraEvent
from domain.provenance import Provenance

log = logging.getLogger(__name__)

# One save() of ~3,000 events hangs in psycopg's pipeline mode (FINDINGS.md); stay well below.
MAX_EVENTS_PER_SAVE = 1000


@dataclass(eq=False)
class Decided:
    """A command whose handler accepted it: its events, not yet saved."""

    submission: Submission
    outcome: Outcome
    events: list[VeraEvent]
    touched: list[UUID]


@dataclass(eq=False)
class Refused:
    """A command a handler refused, and the aggregates its refusal was decided on."""

    submission: Submission
    touched: list[UUID]


@dataclass
class Round:
    """The bookkeeping of one round: decisions not yet saved and refusals not yet final."""

    workspace: Workspace
    carried: list[Decided] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)


class BatchProcessor:
    def __init__(
        self,
        store: EventStore,
        cache: AggregateCache,
        clock: Callable[[], datetime],
        *,
        credentials: CredentialIssuer,
        max_conflict_retries: int = 5,
        max_events_per_save: int = MAX_EVENTS_PER_SAVE,
    ) -> None:
        self.store = store
        self.cache = cache
        self.clock = clock
        self.credentials = credentials
        self.max_conflict_retries = max_conflict_retries
        self.max_events_per_save = max_events_per_save
        self.stats = BatchStats()
        self._order: dict[Submission, int] = {}

    # -- entry point ----------------------------------------------------------------------

    def run(self, submissions: Sequence[Submission]) -> None:
        """Fill in `result` or `error` on every submission."""
        started = time.perf_counter()
        self._order = {s: i for i, s in enumerate(submissions)}
        try:
            self._run(submissions)
        finally:
            self._order = {}
            self.stats.record_batch(len(submissions), time.perf_counter() - started)

    def _run(self, submissions: Sequence[Submission]) -> None:
        try:
            todo, followers = split_by_receipts(self.store, submissions)
            while todo:
                todo = self._in_order(self._run_round(todo))
        except Exception as e:  # the store is unreachable, or a bug: fail loudly, per command
            log.exception("command batch failed")
            self.cache.clear()
            for s in submissions:
                if s.result is None and s.error is None:
                    s.error = InternalError(f"the command could not be recorded: {e}")
            return
        for follower, leader in followers:
            copy_outcome(follower, leader)

    def _in_order(self, submissions: Iterable[Submission]) -> list[Submission]:
        return sorted(submissions, key=self._order.__getitem__)

    # -- one round: decide, save, resolve clashes ------------------------------------------

    def _run_round(self, todo: list[Submission]) -> list[Submission]:
        """Decide and save as many of `todo` as fit in one save; return what is left to
        decide (commands that did not fit, and refusals that must be decided again)."""
        state = Round(Workspace(self._load))
        rerun = todo
        deferred: list[Submission] = []
        while True:
            decided, overflow = self._decide(rerun, state)
            deferred.extend(overflow)
            batch = state.carried + decided
            if not batch:
                break
            try:
                recordings = self.store.append(
                    [e for d in batch for e in d.events], self._receipts_for(batch)
                )
            except IntegrityError:
                rerun = self._in_order(self._split_after_clash(batch, state))
                continue
            self._finish(batch, recordings, state.workspace)
            break
        self._answer_refusals_from_receipts(state.refused)
        return deferred + self._stale_refusals(state)

    def _decide(
        self, submissions: list[Submission], state: Round
    ) -> tuple[list[Decided], list[Submission]]:
        """Run the handlers in order; return the decisions and what did not fit."""
        now = self.clock()
        budget = self.max_events_per_save - sum(len(d.events) for d in state.carried)
        decided: list[Decided] = []
        redo: list[Submission] = []
        for index, s in enumerate(submissions):
            if budget <= 0:
                return decided, redo + submissions[index:]
            prov = Provenance(s.actor.id, now, s.correlation_id, s.causation_id)
            ctx = HandlerContext(state.workspace, s.actor, prov, self.credentials)
            handler = HANDLERS[type(s.command)]
            try:
                outcome = handler(s.command, ctx)
            except DomainError as e:
                redo.extend(self._discard_partial_changes(ctx, state, decided))
                s.error = e
                state.refused.append(Refused(s, list(ctx.touched)))
                continue
            except Exception:
                log.exception("handler for %s failed", type(s.command).__name__)
                s.error = InternalError(f"{type(s.command).__name__} failed unexpectedly")
                redo.extend(self._discard_partial_changes(ctx, state, decided))
                continue
            events = ctx.collect_events()
            budget -= len(events)
            decided.append(Decided(s, outcome, events, list(ctx.touched)))
        return decided, redo

    def _discard_partial_changes(
        self, ctx: HandlerContext, state: Round, decided: list[Decided]
    ) -> list[Submission]:
        """Handlers check before they change anything; if one did not, drop the working
        copies it touched and return the commands decided on them, to be decided again."""
        dirty = {
            a
            for a in ctx.touched
            if (agg := state.workspace.aggregates.get(a)) is not None and agg.pending_events
        }
        if not dirty:
            return []
        log.error("a refused command left changes on %s; deciding again", dirty)
        return self._retract(dirty, state, decided)

    def _retract(
        self, conflicted: set[UUID], state: Round, decided: list[Decided] | None = None
    ) -> list[Submission]:
        """Withdraw every decision and refusal that rested on the conflicted aggregates
        (transitively, through shared aggregates), forget their working copies, and
        return the withdrawn commands."""
        pending = state.carried + (decided or [])
        affected, tainted = _taint_closure(pending, conflicted)
        state.workspace.forget(tainted)
        for d in affected:
            if d in state.carried:
                state.carried.remove(d)
            elif decided is not None:
                decided.remove(d)
        # A refusal decided against a withdrawn decision may have been wrong: decide again.
        withdrawn_refusals = [r for r in state.refused if tainted.intersection(r.touched)]
        for r in withdrawn_refusals:
            state.refused.remove(r)
            r.submission.error = None
        return [d.submission for d in affected] + [r.submission for r in withdrawn_refusals]

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
                        _result_json(d, _version_of(d)),
                        event_index,
                    )
                )
        return receipts

    def _split_after_clash(self, batch: list[Decided], state: Round) -> list[Submission]:
        """Find what another writer changed; keep the unaffected decisions (as carried) and
        return the commands to decide again on fresh state."""
        workspace = state.workspace
        ids = list(workspace.base_versions)
        stored_versions = self.store.max_versions(ids)
        conflicted = {a for a in ids if stored_versions.get(a, 0) != workspace.base_versions[a]}
        keys = [k for d in batch if (k := d.submission.receipt_key) is not None]
        taken = self.store.select_receipts(keys) if keys else {}
        for d in batch:
            if d.submission.receipt_key in taken:
                conflicted.update(d.touched)
        if not conflicted:
            msg = "the event store refused the batch but no aggregate had changed"
            raise RuntimeError(msg)
        self._catch_up(conflicted)
        state.carried = list(batch)
        again: list[Submission] = []
        for s in self._retract(conflicted, state):
            s.attempts += 1
            self.stats.conflict_reruns += 1
            key = s.receipt_key
            if key is not None and key in taken:
                # Another process handled the same idempotency key first: its result stands.
                answer_from_receipt(s, taken[key])
            elif s.attempts > self.max_conflict_retries:
                s.error = ConcurrencyConflict(
                    "other writers kept changing the same data; try again",
                    attempts=s.attempts,
                )
            else:
                again.append(s)
        return again

    def _catch_up(self, aggregate_ids: Iterable[UUID]) -> None:
        """Bring cached aggregates that another writer moved on up to date by applying
        only the events they miss, instead of reloading them from scratch."""
        for aggregate_id in aggregate_ids:
            cached = self.cache.get(aggregate_id)
            if cached is None:
                continue
            try:
                fresh = working_copy(cached)
                for event in self.store.events.get(aggregate_id, gt=cached.version):
                    cast(VeraEvent, event).mutate(fresh)
            except Exception:
                log.exception("could not catch up %s; dropping it from the cache", aggregate_id)
                self.cache.evict([aggregate_id])
            else:
                self.cache.put(fresh)

    def _finish(
        self, batch: list[Decided], recordings: Sequence[Any], workspace: Workspace
    ) -> None:
        positions = iter(r.notification.id for r in recordings)
        for d in batch:
            last = 0
            for _ in d.events:
                last = next(positions)
            d.submission.result = CommandResult.from_json(
                {**_result_json(d, _version_of(d)), "position": last}, replayed=False
            )
        self.stats.saved_events += len(recordings)
        self.store.snapshot_due(
            (a, workspace.base_versions.get(a.id, 0)) for a in workspace.aggregates.values()
        )
        for aggregate in workspace.aggregates.values():
            self.cache.put(aggregate)
            # These versions are committed now: the stale check compares against them.
            workspace.base_versions[aggregate.id] = aggregate.version

    def _answer_refusals_from_receipts(self, refused: list[Refused]) -> None:
        """A keyed command refused because its own original (recorded meanwhile by another
        process) changed the state gets the original's result, not the refusal."""
        keyed = [r for r in refused if r.submission.receipt_key is not None]
        if not keyed:
            return
        stored = self.store.select_receipts([r.submission.receipt_key or "" for r in keyed])
        for r in keyed:
            receipt = stored.get(r.submission.receipt_key or "")
            if receipt is not None:
                answer_from_receipt(r.submission, receipt)
                refused.remove(r)

    def _stale_refusals(self, state: Round) -> list[Submission]:
        """A refusal decided on a cached aggregate that another writer had moved on is
        decided again on fresh state, unless it would stand against any newer state."""
        candidates = [
            r
            for r in state.refused
            if r.touched
            and isinstance(r.submission.error, DomainError)
            and not r.submission.error.survives_newer_state
        ]
        if not candidates:
            return []
        workspace = state.workspace
        ids = list({a for r in candidates for a in r.touched})
        stored = self.store.max_versions(ids)
        stale = {a for a in ids if stored.get(a, 0) != workspace.base_versions.get(a, -1)}
        if not stale:
            return []
        self._catch_up(stale)
        again: list[Submission] = []
        for r in candidates:
            if stale.intersection(r.touched) and r.submission.attempts < self.max_conflict_retries:
                r.submission.attempts += 1
                r.submission.error = None
                self.stats.stale_refusal_reruns += 1
                again.append(r.submission)
        return again

    def _load(self, aggregate_id: UUID) -> AnyAggregate | None:
        cached = self.cache.get(aggregate_id)
        if cached is not None:
            return working_copy(cached)
        return self.store.load(aggregate_id)


def _version_of(d: Decided) -> int:
    main = d.outcome.main_aggregate_id
    versions = [e.originator_version for e in d.events if e.originator_id == main]
    return max(versions) if versions else 0


def _result_json(d: Decided, version: int) -> dict[str, Any]:
    return {
        "ids": d.outcome.ids,
        "aggregate_id": str(d.outcome.main_aggregate_id),
        "aggregate_version": version,
        "position": 0,
    }


def _taint_closure(batch: list[Decided], conflicted: set[UUID]) -> tuple[list[Decided], set[UUID]]:
    """Commands that touched a conflicted aggregate, plus (transitively) every command that
    shared an aggregate with one of those: their decisions rested on invalid state."""
    tainted = set(conflicted)
    affected: list[Decided] = []
    changed = True
    while changed:
        changed = False
        for d in batch:
            if d not in affected and tainted.intersection(d.touched):
                affected.append(d)
                tainted.update(d.touched)
                changed = True
    return affected, tainted
