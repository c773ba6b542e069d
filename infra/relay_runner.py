"""The relay process: wires the store, the position table, LISTEN and metrics to a Relay."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from prometheus_client import CollectorRegistry, start_http_server

from infra.audit_runner import run_audit_log
from infra.bootstrap import NotConfigured, build_event_store
from infra.settings import Settings
from streams.relay import Relay, RelayConfig
from streams.relay_metrics import RelayMetrics
from streams.relay_positions import RelayPositions
from streams.store_listener import StoreListener
from streams.topics import topic_specs


def relay_config(settings: Settings) -> RelayConfig:
    if not settings.kafka_bootstrap:
        msg = "VERACHAIN_KAFKA_BOOTSTRAP is not set (or run `verachain dev`)"
        raise NotConfigured(msg)
    config = RelayConfig(
        bootstrap=settings.kafka_bootstrap,
        topics=topic_specs(settings.kafka_partitions),
        batch_size=settings.relay_batch_size,
        idempotent_producer=settings.idempotent_producer,
    )
    if settings.relay_prepare_processes is not None:
        config = replace(config, prepare_processes=settings.relay_prepare_processes)
    return config


async def run_relay(
    settings: Settings,
    stop: asyncio.Event,
    registry: CollectorRegistry | None = None,
    *,
    audit: bool = True,
) -> None:
    """Run until `stop` is set, with the audit log beside the relay unless `audit` is
    False (the relay benchmark measures the relay alone). Serves /metrics when a port is
    configured and no registry is given (an embedding process, like `verachain dev`,
    exposes its own)."""
    config = relay_config(settings)
    if not settings.database_url:
        raise NotConfigured("VERACHAIN_DATABASE_URL is not set (or run `verachain dev`)")
    own_registry = registry is None
    registry = registry or CollectorRegistry()
    if own_registry and settings.relay_metrics_port:
        start_http_server(settings.relay_metrics_port, addr="127.0.0.1", registry=registry)
    store = build_event_store(settings)
    listener = StoreListener(settings.database_url)
    relay = Relay(
        store, RelayPositions(settings.database_url), config, RelayMetrics(registry), listener.wait
    )
    try:
        async with asyncio.TaskGroup() as group:
            group.create_task(relay.run(stop), name="relay")
            if audit:
                group.create_task(run_audit_log(settings, stop, registry), name="audit-log")
    finally:
        await listener.close()
        store.close()
