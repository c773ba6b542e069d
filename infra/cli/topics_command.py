"""`verachain topics create|describe`."""

from __future__ import annotations

import asyncio

import click
from aiokafka.admin import AIOKafkaAdminClient
from rich.console import Console
from rich.table import Table

from infra.audit_runner import CHECKPOINT_SCHEMA
from infra.bootstrap import NotConfigured
from infra.kafka_admin import ensure_topics
from infra.settings import Settings
from streams.event_schemas import describe_topics
from streams.topics import AUDIT_CHECKPOINTS, topic_specs


@click.group()
def topics() -> None:
    """Kafka topics: create them, or describe what they carry."""


@topics.command("create")
def topics_create() -> None:
    """Create the topics of CONTRACT.md and the project's own (idempotent)."""
    settings = Settings.from_env()
    if not settings.kafka_bootstrap:
        raise NotConfigured("VERACHAIN_KAFKA_BOOTSTRAP is not set (or run `verachain dev`)")
    created = asyncio.run(create_topics(settings.kafka_bootstrap, settings.kafka_partitions))
    Console().print(f"created {len(created)} topic(s): {', '.join(created) or 'none needed'}")


async def create_topics(bootstrap: str, partitions: int) -> list[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return await ensure_topics(admin, topic_specs(partitions))
    finally:
        await admin.close()


@topics.command("describe")
def topics_describe() -> None:
    """Each topic, its key, its event types and the path of each JSON Schema."""
    settings = Settings.from_env()
    table = Table(title="VeraChain topics")
    for column in ("topic", "partitions", "key", "event types", "schemas"):
        table.add_column(column, overflow="fold")
    described = {name: (key, types, paths) for name, key, types, paths in describe_topics()}
    described[AUDIT_CHECKPOINTS] = (
        "origin",
        ["AuditCheckpoint (signed tree head)"],
        [CHECKPOINT_SCHEMA.relative_to(CHECKPOINT_SCHEMA.parents[3]).as_posix()],
    )
    for spec in topic_specs(settings.kafka_partitions):
        key, types, paths = described.get(spec.name, (spec.key, [spec.purpose], []))
        table.add_row(
            spec.name, str(spec.partitions), key, "\n".join(types), "\n".join(str(p) for p in paths)
        )
    Console().print(table)
