"""The audit log's leaves, computed from the store: leaf input = the RFC 8785 canonical JSON
of the event's envelope (what Kafka carries), leaf hash = SHA-256(0x00 ‖ input)."""

from __future__ import annotations

from collections.abc import Generator, Iterable
from dataclasses import dataclass

from commands.store import EventStore
from infra.settings import Settings
from projections.jcs import canonical_json
from projections.merkle import leaf_hash
from projections.read_rows import Envelope
from streams.history_reader import HISTORY_BATCH, read_history_batch
from streams.parallel_history import PARALLEL_THRESHOLD, default_workers, parallel_windows


@dataclass(frozen=True, slots=True)
class LeafRecord:
    position: int
    event_id: str
    leaf_hash: bytes


def leaf_input(envelope: Envelope) -> bytes:
    return canonical_json(envelope)


def leaf_records(envelopes: Iterable[Envelope]) -> list[LeafRecord]:
    return [
        LeafRecord(int(e["position"]), str(e["event_id"]), leaf_hash(leaf_input(e)))
        for e in envelopes
    ]


def read_leaf_window(store: EventStore, after: int, up_to: int) -> list[LeafRecord]:
    """The leaves of positions (after, up_to]; runs in history worker processes too, which
    send back 3 small fields per event instead of whole envelopes."""
    return leaf_records(read_history_batch(store, after, up_to - after, up_to))


def leaf_batches(
    settings: Settings,
    store: EventStore,
    *,
    after: int,
    up_to: int,
    batch_size: int = HISTORY_BATCH,
) -> Generator[list[LeafRecord], None, None]:
    """Every leaf of positions (after, up_to] in store order: decoded and hashed by worker
    processes when there are many (decoding is ~50 µs an event, one core's ceiling), else
    here."""
    workers = default_workers()
    if workers > 1 and up_to - after >= PARALLEL_THRESHOLD:
        yield from parallel_windows(
            settings, read_leaf_window, after=after, up_to=up_to, workers=workers
        )
        return
    while after < up_to:
        batch = leaf_records(read_history_batch(store, after, batch_size, up_to))
        if not batch:
            return
        yield batch
        after = batch[-1].position
