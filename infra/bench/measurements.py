"""Counting accepted and refused commands and their latencies during one bench phase."""

from __future__ import annotations

import resource
import statistics
from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class PhaseMeasurement:
    name: str
    accepted: int = 0
    refused: Counter[str] = field(default_factory=Counter)
    latencies_s: list[float] = field(default_factory=list)
    seconds: float = 0.0
    peak_rss_mb: float = 0.0

    def record(self, latency_s: float, error_code: str | None) -> None:
        self.latencies_s.append(latency_s)
        if error_code is None:
            self.accepted += 1
        else:
            self.refused[error_code] += 1

    @property
    def accepted_per_second(self) -> float:
        return self.accepted / self.seconds if self.seconds else 0.0

    def percentile_ms(self, q: float) -> float:
        if len(self.latencies_s) < 2:
            return self.latencies_s[0] * 1000 if self.latencies_s else 0.0
        cuts = statistics.quantiles(self.latencies_s, n=1000, method="inclusive")
        return cuts[min(int(q * 1000) - 1, len(cuts) - 1)] * 1000

    def to_json(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "refused": dict(self.refused),
            "seconds": round(self.seconds, 3),
            "accepted_per_s": round(self.accepted_per_second, 1),
            "p50_ms": round(self.percentile_ms(0.50), 2),
            "p99_ms": round(self.percentile_ms(0.99), 2),
            "peak_rss_mb": round(self.peak_rss_mb, 1),
        }


def peak_rss_mb() -> float:
    """The process's peak resident set size so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
