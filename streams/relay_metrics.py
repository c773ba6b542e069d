"""The relay's Prometheus metrics, in a registry the caller owns (nothing global at import)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class RelayMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.published = Counter(
            "verachain_relay_published_events",
            "Events acknowledged by the broker",
            registry=registry,
        )
        self.failures = Counter(
            "verachain_relay_failures",
            "Times the relay lost the broker or the database",
            registry=registry,
        )
        self.republishes = Counter(
            "verachain_relay_republishes",
            "Times the broker came back empty and the history was republished",
            registry=registry,
        )
        self.head_position = Gauge(
            "verachain_event_store_head_position",
            "Last notification id in the store",
            registry=registry,
        )
        self.published_position = Gauge(
            "verachain_relay_published_position",
            "Last notification id published",
            registry=registry,
        )
        self.lag = Gauge(
            "verachain_relay_lag_events", "Store head minus published position", registry=registry
        )
        self.batch_seconds = Histogram(
            "verachain_relay_batch_seconds", "Time to publish one batch", registry=registry
        )

        self.head = 0
        self._published = 0

    def observe_head(self, head: int) -> None:
        self.head = head
        self.head_position.set(head)
        self.lag.set(max(0, head - self._published))

    def observe_published(self, position: int) -> None:
        self._published = position
        self.published_position.set(position)
        self.lag.set(max(0, self.head - position))
