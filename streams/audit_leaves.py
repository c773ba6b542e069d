"""The audit log's leaves, computed from the store: leaf input = the RFC 8785 canonical JSON
of the event's envelope (what Kafka carries), leaf hash = SHA-256(0x00 ‖ input).

A batch is kept as columns (positions, event ids, hashes): history worker processes send
it back pickled, and the log writes it as three arrays, so per leaf there is no object to
build, pickle or adapt."""

from __future__ import annotations

import hashlib
from collections.abc import Generator, Iterable
from dataclasses import dataclass, field

from commands.store import EventStore
from infra.settings import Settings
from projections.jcs import canonical_json
from projections.read_rows import Envelope
from streams.history_reader import HISTORY_BATCH, read_history_batch
from streams.parallel_history import PARALLEL_THRESHOLD, default_workers, parallel_windows

_LEAF_PREFIX = b"\x00"  # RFC 9162 §2.1.1: leaf hash = SHA-256(0x00 ‖ leaf input)


@dataclass(slots=True)
class LeafBatch:
    """Consecutive leaves in store order."""

    positions: list[int] = field(default_factory=list)
    event_ids: list[str] = field(default_factory=list)
    hashes: list[bytes] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.hashes)

    @property
    def last_position(self) -> int:
        return self.positions[-1]


def leaf_input(envelope: Envelope) -> bytes:
    return canonical_json(envelope)


def leaf_batch(envelopes: Iterable[Envelope]) -> LeafBatch:
    batch = LeafBatch()
    sha256 = hashlib.sha256
    for envelope in envelopes:
        batch.positions.append(int(envelope["position"]))
        batch.event_ids.append(str(envelope["event_id"]))
        batch.hashes.append(sha256(_LEAF_PREFIX + canonical_json(envelope)).digest())
    return batch


def read_leaf_window(store: EventStore, after: int, up_to: int) -> list[LeafBatch]:
    """The leaves of positions (after, up_to] (run by history worker processes too)."""
    batch = leaf_batch(read_history_batch(store, after, up_to - after, up_to))
    return [batch] if batch.hashes else []


def leaf_batches(
    settings: Settings,
    store: EventStore,
    *,
    after: int,
    up_to: int,
    batch_size: int = HISTORY_BATCH,
) -> Generator[LeafBatch, None, None]:
    """Every leaf of positions (after, up_to] in store order: decoded and hashed by worker
    processes when there are many (decoding is ~50 µs an event, one core's ceiling), else
    here."""
    workers = default_workers()
    if workers > 1 and up_to - after >= PARALLEL_THRESHOLD:
        for batches in parallel_windows(
            settings, read_leaf_window, after=after, up_to=up_to, workers=workers
        ):
            yield from batches
        return
    while after < up_to:
        batch = leaf_batch(read_history_batch(store, after, batch_size, up_to))
        if not batch.hashes:
            return
        yield batch
        after = batch.last_position
