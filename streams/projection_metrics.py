"""The projection worker's Prometheus metrics, in a registry the caller owns."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge


class ProjectionMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.outcomes = Counter(
            "verachain_projection_events",
            "Events handled by the read-model projection, by outcome",
            ["outcome"],
            registry=registry,
        )
        self.dead_letters = Counter(
            "verachain_projection_dead_letters",
            "Events the projection could not apply (sent to the dead-letter topic)",
            registry=registry,
        )
        self.live_resets = Counter(
            "verachain_projection_live_resets",
            "Times Redis was behind and an aggregate's live state was rewritten",
            registry=registry,
        )
        self.applied_position = Gauge(
            "verachain_projection_applied_position",
            "Global position of the last event this worker applied",
            registry=registry,
        )
