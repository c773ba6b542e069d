"""Counters a bus keeps about its batches (what the benchmark and metrics report)."""

from __future__ import annotations

from dataclasses import dataclass, field


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
