"""Preparing the relay's batches: stored events in a range of notification ids turned into
ready-to-send Kafka messages, in worker processes so that the pure-Python work (decoding,
the envelope, JSON) runs beside the publishing instead of in series with it."""

from __future__ import annotations

import json
import multiprocessing
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from aiokafka.partitioner import murmur2

from commands.store import EventStore
from projections.read_rows import Envelope
from streams.history_reader import recorded_envelope_of
from streams.topics import topic_for_aggregate
from streams.trace_context import traceparent

MAX_PREPARE_PROCESSES = 4


def default_prepare_processes() -> int:
    """One preparing process per CPU this process may use (at most four); none on one CPU,
    where a second process would only add the cost of handing batches over."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    cpus = cpus or 1
    return 0 if cpus < 2 else min(cpus, MAX_PREPARE_PROCESSES)


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    topic: str
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]


# What a preparing worker hands back per event: (topic, key, value, headers). A plain
# tuple: pickling a dataclass per message cost more than a tenth of the preparation.
WireMessage = tuple[str, bytes, bytes, list[tuple[str, bytes]]]


@dataclass(frozen=True, slots=True)
class PreparedBatch:
    """Every stored event with a notification id in (after, upto], as messages in id order.
    `upto` never exceeds a head the store reported, so no id in the range can still appear
    later (ids are given out under the table lock, in commit order): the relay may record
    `upto` as its position once all of them are acknowledged, even past a trailing gap."""

    after: int
    upto: int
    messages: list[WireMessage]


_ENVELOPE_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def to_message(envelope: Envelope) -> OutgoingMessage:
    return OutgoingMessage(*_wire_message(envelope))


def _wire_message(envelope: Envelope) -> WireMessage:
    """The record of an envelope: its topic, key, JSON and headers (type, the version it was
    recorded with, and the trace it belongs to)."""
    metadata = envelope["metadata"]
    type_headers = [
        ("event-type", str(envelope["type"]).encode()),
        ("schema-version", str(envelope["schema_version"]).encode()),
    ]
    trace = (
        "traceparent",
        traceparent(UUID(metadata["correlation_id"]), UUID(metadata["causation_id"])).encode(),
    )
    return (
        topic_for_aggregate(str(envelope["aggregate_type"])),
        str(envelope["aggregate_id"]).encode(),
        _ENVELOPE_JSON.encode(envelope).encode(),
        [*type_headers, trace],
    )


def prepare_batch(store: EventStore, after: int, upto: int) -> PreparedBatch:
    """Read the notifications in (after, upto] and turn them into messages."""
    notifications = store.recorder.select_notifications(
        after, upto - after, stop=upto, inclusive_of_start=False
    )
    messages = [_wire_message(recorded_envelope_of(store, n)) for n in notifications]
    return PreparedBatch(after, upto, messages)


# The store of a preparing worker process, opened by its initializer.
_worker_store: dict[str, EventStore] = {}


def open_worker_store(store_type: type[EventStore], env: dict[str, str]) -> None:
    # A worker outlives a relay killed with SIGKILL otherwise, blocked on its job queue.
    threading.Thread(target=_exit_with_parent, name="relay-parent", daemon=True).start()
    # One connection is all a worker uses; tables exist (the relay's own store made sure).
    worker_env = {**env, "POSTGRES_POOL_SIZE": "1", "POSTGRES_MAX_OVERFLOW": "1"}
    _worker_store["store"] = store_type(env={**worker_env, "CREATE_TABLE": "n"})


def _exit_with_parent() -> None:
    parent = multiprocessing.parent_process()
    if parent is not None:
        parent.join()  # returns once the relay's process is gone
        os._exit(0)


def worker_started() -> None:
    """A job that does nothing: submitting one per worker starts them all at once."""


def prepare_in_worker(after: int, upto: int) -> PreparedBatch:
    return prepare_batch(_worker_store["store"], after, upto)


class PartitionChooser:
    """The partition aiokafka's default partitioner would choose (murmur2 of the key, as
    Java clients do), with the hash of each recent key remembered: the pure-Python murmur2
    cost more than everything else the producer does per message."""

    def __init__(self, max_keys: int = 100_000) -> None:
        self._hashes: dict[bytes, int] = {}
        self._max_keys = max_keys

    def partition(self, key: bytes, partitions: Sequence[int]) -> int:
        hashed = self._hashes.get(key)
        if hashed is None:
            if len(self._hashes) >= self._max_keys:
                self._hashes.clear()
            hashed = self._hashes[key] = murmur2(key) & 0x7FFFFFFF
        return partitions[hashed % len(partitions)]
