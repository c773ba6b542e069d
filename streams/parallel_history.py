"""history_batches spread over worker processes, for folding a large history.

Decoding stored events and building their envelopes is pure Python (~50 µs an event here,
a single core's ceiling of ~20k events/s), while folding the envelopes costs a fraction
of that. So worker processes each read and decode windows of the notification log (and
may turn them into something smaller to send back, like the audit log's leaf hashes), and
the caller receives the windows back in global order and folds them alone."""

from __future__ import annotations

import gc
import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import replace
from typing import TypeVar

from commands.store import EventStore
from infra.bootstrap import build_event_store
from infra.settings import Settings
from projections.read_rows import Envelope
from streams.history_reader import HISTORY_BATCH, history_batches, read_history_batch

# Below this many events, starting the worker processes (~0.5 s) costs more than it saves.
PARALLEL_THRESHOLD = 20_000
MAX_WORKERS = 4

_worker_store: EventStore | None = None  # the event store of a worker process

T = TypeVar("T")
# Reads the window (after, up_to] of the store; a module-level function (it is pickled).
WindowReader = Callable[[EventStore, int, int], list[T]]


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, MAX_WORKERS))


def open_history(
    settings: Settings,
    store: EventStore,
    *,
    after: int,
    up_to: int,
    workers: int | None = None,
) -> Iterator[list[Envelope]]:
    """Envelopes in (after, up_to] in global order: read by worker processes when there
    are many, else by this process."""
    count = default_workers() if workers is None else workers
    if count > 1 and up_to - after >= PARALLEL_THRESHOLD:
        return parallel_history_batches(settings, after=after, up_to=up_to, workers=count)
    return history_batches(store, after=after, up_to=up_to)


def parallel_history_batches(
    settings: Settings,
    *,
    after: int,
    up_to: int,
    workers: int,
    window: int = HISTORY_BATCH,
) -> Iterator[list[Envelope]]:
    """Like history_batches, with each window of `window` positions read and decoded by
    one of `workers` processes."""
    return parallel_windows(
        settings, read_envelopes, after=after, up_to=up_to, workers=workers, window=window
    )


def read_envelopes(store: EventStore, after: int, up_to: int) -> list[Envelope]:
    return read_history_batch(store, after, up_to - after, up_to)


def parallel_windows(
    settings: Settings,
    read: WindowReader[T],
    *,
    after: int,
    up_to: int,
    workers: int,
    window: int = HISTORY_BATCH,
) -> Iterator[list[T]]:
    """`read` applied to each window of `window` positions in (after, up_to] by one of
    `workers` processes, the results in global order. Windows are fixed ranges of
    positions: ids are not dense, so a window may hold fewer events, but no two windows
    overlap or leave a hole."""
    # spawn, not fork: the caller may have threads (the bus, a connection pool).
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_start_worker,
        initargs=(replace(settings, db_pool_size=1),),
    )
    pending: deque[Future[list[T]]] = deque()
    start = after
    try:
        while pending or start < up_to:
            # Two windows per worker in flight: one being read, one waiting for it.
            while start < up_to and len(pending) < 2 * workers:
                stop = min(start + window, up_to)
                pending.append(pool.submit(_read_window, read, start, stop))
                start = stop
            batch = pending.popleft().result()
            if batch:
                yield batch
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _start_worker(settings: Settings) -> None:
    global _worker_store  # noqa: PLW0603 - one store per worker process, built once
    # A worker outlives a caller killed with SIGKILL otherwise (blocked on its queues,
    # holding a database connection): the relay's audit log is such a caller.
    threading.Thread(target=_exit_with_parent, name="history-parent", daemon=True).start()
    # A worker only decodes batches that it hands back and drops: nothing lives long
    # enough to need the cyclic collector, whose passes would cost a third of its time.
    gc.disable()
    _worker_store = build_event_store(settings)


def _exit_with_parent() -> None:
    parent = multiprocessing.parent_process()
    if parent is not None:
        parent.join()  # returns once the caller's process is gone
        os._exit(0)


def _read_window(read: WindowReader[T], after: int, up_to: int) -> list[T]:
    if _worker_store is None:
        msg = "the history worker was not started"
        raise RuntimeError(msg)
    return read(_worker_store, after, up_to)
