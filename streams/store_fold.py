"""Folding the event store's history into a ReadModelFold: what a rebuild writes out and
what the check compares with."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from commands.store import EventStore
from infra.settings import Settings
from projections.fold import ReadModelFold
from streams.parallel_history import open_history

FoldProgress = Callable[[int, int], None]  # (position reached, position to reach)


@contextmanager
def collector_paused() -> Iterator[None]:
    """A fold allocates millions of small objects that all stay alive, so every pass of
    the cyclic collector walks an ever larger heap for nothing: with it paused, folding
    200k events took 10 s instead of 13.5 s here."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def fold_store(
    settings: Settings,
    store: EventStore,
    fold: ReadModelFold,
    *,
    up_to: int,
    workers: int | None = None,
    progress: FoldProgress | None = None,
) -> int:
    """Fold the store's events after fold.position up to position `up_to`; return how many
    were seen."""
    seen = fold.seen
    with collector_paused():
        for batch in open_history(
            settings, store, after=fold.position, up_to=up_to, workers=workers
        ):
            for envelope in batch:
                fold.apply(envelope)
            if progress is not None:
                progress(fold.position, up_to)
    return fold.seen - seen
