"""Faust hard-codes `fetch_max_wait_ms=1500` for its worker consumer. Tansu answers a fetch
only when that wait runs out, even with data ready: 0.4 to 1.5 s in every
event's path (measured: aiokafka against Tansu, p50 409 ms at 1,500 ms, 13.5 ms at 50 ms).
This narrows it, for the consumers of this process's Faust app only."""

from __future__ import annotations

from typing import Any

from faust.transport.drivers import aiokafka as faust_aiokafka

_ORIGINAL = faust_aiokafka.AIOKafkaConsumerThread._create_worker_consumer


def limit_fetch_wait(max_wait_ms: int) -> None:
    """Make Faust's worker consumers wait at most `max_wait_ms` for a fetch (idempotent)."""

    def create_worker_consumer(self: Any, transport: Any) -> Any:
        consumer = _ORIGINAL(self, transport)
        # aiokafka reads this when it builds its fetcher, at start(): set it before.
        consumer._fetch_max_wait_ms = max_wait_ms
        return consumer

    faust_aiokafka.AIOKafkaConsumerThread._create_worker_consumer = create_worker_consumer  # type: ignore[method-assign]
