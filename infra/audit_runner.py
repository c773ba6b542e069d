"""The audit log process part: wires the store, a pool, the log's signing key, LISTEN and a
Kafka producer for `verachain.audit.checkpoints` to an AuditLog. Runs in the relay process
(both follow the store's global order, and both need the broker)."""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer
from prometheus_client import CollectorRegistry
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

import streams
from domain.envelope import format_utc
from infra.bootstrap import NotConfigured, build_event_store
from infra.keys import AUDIT_LOG_KEY_FILE, load_or_create_ed25519
from infra.settings import Settings
from streams.audit_log import AuditConfig, AuditLog
from streams.audit_signer import CheckpointSigner
from streams.audit_store import StoredCheckpoint
from streams.relay import producer_options
from streams.store_listener import StoreListener
from streams.topics import AUDIT_CHECKPOINTS


def checkpoint_signer(settings: Settings) -> CheckpointSigner:
    """The log's Ed25519 key from the data directory (created on first use)."""
    return CheckpointSigner(
        settings.audit_origin, load_or_create_ed25519(settings.data_dir / AUDIT_LOG_KEY_FILE)
    )


CHECKPOINT_SCHEMA = Path(streams.__file__).parent / "schemas/messages/AuditCheckpoint.v1.json"


def checkpoint_message(checkpoint: StoredCheckpoint, origin: str) -> bytes:
    """The value published to verachain.audit.checkpoints (CHECKPOINT_SCHEMA)."""
    return json.dumps(
        {
            "schema_version": 1,
            "origin": origin,
            "tree_size": checkpoint.tree_size,
            "root_hash": base64.b64encode(checkpoint.root).decode(),
            "note": checkpoint.note,
            "signed_at": format_utc(checkpoint.signed_at),
        }
    ).encode()


class CheckpointPublisher:
    """Publishes checkpoints to Kafka with a producer started on first use, so the log
    appends and signs while the broker is away (publishing is retried on the next step)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._producer: AIOKafkaProducer | None = None

    async def __call__(self, checkpoint: StoredCheckpoint) -> None:
        producer = await self._started()
        await producer.send_and_wait(
            AUDIT_CHECKPOINTS,
            key=self.settings.audit_origin.encode(),
            value=checkpoint_message(checkpoint, self.settings.audit_origin),
        )

    async def _started(self) -> AIOKafkaProducer:
        if self._producer is None:
            bootstrap = self.settings.kafka_bootstrap or ""
            producer = AIOKafkaProducer(
                **producer_options(bootstrap, idempotent=self.settings.idempotent_producer)
            )
            try:
                await producer.start()
            except Exception:
                await producer.stop()
                raise
            self._producer = producer
        return self._producer

    async def close(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            await producer.stop()


async def run_audit_log(
    settings: Settings, stop: asyncio.Event, registry: CollectorRegistry | None = None
) -> None:
    """Run until `stop` is set (checkpoints go to Kafka when a broker is configured)."""
    if not settings.database_url:
        raise NotConfigured("VERACHAIN_DATABASE_URL is not set (or run `verachain dev`)")
    signer = checkpoint_signer(settings)
    store = build_event_store(settings)
    listener = StoreListener(settings.database_url)
    publisher = CheckpointPublisher(settings) if settings.kafka_bootstrap else None
    pool: AsyncConnectionPool[AsyncConnection[Any]] = AsyncConnectionPool(
        settings.database_url, min_size=1, max_size=3, open=False
    )
    await pool.open()
    try:
        audit = AuditLog(
            settings,
            store,
            pool,
            signer,
            wait=listener.wait,
            publish=publisher,
            config=AuditConfig(checkpoint_interval_s=settings.audit_checkpoint_interval_s),
            registry=registry,
        )
        await audit.run(stop)
    finally:
        if publisher is not None:
            await publisher.close()
        await listener.close()
        await pool.close()
        store.close()
