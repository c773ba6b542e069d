"""Idempotency keys: answering a repeated command from the receipt of its first run."""

from __future__ import annotations

from collections.abc import Sequence

from commands.recorder import StoredReceipt
from commands.results import CommandResult
from commands.store import EventStore
from commands.submission import Submission
from domain.errors import ValidationFailed


def split_by_receipts(
    store: EventStore, submissions: Sequence[Submission]
) -> tuple[list[Submission], list[tuple[Submission, Submission]]]:
    """Answer what already has a receipt; return (to decide, (follower, leader) pairs for a
    key repeated within this batch)."""
    keys = [k for s in submissions if (k := s.receipt_key) is not None]
    stored = store.select_receipts(keys) if keys else {}
    todo: list[Submission] = []
    leaders: dict[str, Submission] = {}
    followers: list[tuple[Submission, Submission]] = []
    for s in submissions:
        key = s.receipt_key
        if key is not None and key in stored:
            answer_from_receipt(s, stored[key])
        elif key is not None and key in leaders:
            followers.append((s, leaders[key]))  # same key twice in one batch
        else:
            if key is not None:
                leaders[key] = s
            todo.append(s)
    return todo, followers


def answer_from_receipt(s: Submission, receipt: StoredReceipt) -> None:
    s.error = None
    if receipt.fingerprint != s.fingerprint():
        s.error = ValidationFailed(
            "this idempotency key was already used for a different command",
            field="idempotencyKey",
        )
    else:
        s.result = CommandResult.from_json(receipt.result, replayed=True)


def copy_outcome(follower: Submission, leader: Submission) -> None:
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
