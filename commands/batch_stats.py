"""Counters a bus keeps about its batches (what the benchmark and metrics report)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

BatchListener = Callable[[int, float], None]  # (commands in the batch, seconds)


@dataclass
class BatchStats:
    batches: int = 0
    commands: int = 0
    saved_events: int = 0
    conflict_reruns: int = 0
    stale_refusal_reruns: int = 0
    batch_sizes: list[int] = field(default_factory=list)
    batch_seconds: list[float] = field(default_factory=list)
    # Told of every batch (the API's metrics observe them; the domain layer knows no metrics).
    listeners: list[BatchListener] = field(default_factory=list)

    def record_batch(self, size: int, seconds: float) -> None:
        self.batches += 1
        self.commands += size
        for listener in self.listeners:
            listener(size, seconds)
        if len(self.batch_sizes) < 100_000:  # bounded: a long-running bus keeps only the start
            self.batch_sizes.append(size)
            self.batch_seconds.append(seconds)
