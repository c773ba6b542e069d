"""The audit tests' own database per test (the tamper tests rewrite stored events), a store,
a bus and an audit log signing with a throwaway key."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from commands.bus import CommandBus
from commands.store import EventStore
from infra.bootstrap import build_bus, build_event_store
from infra.settings import Settings
from streams.audit_log import AuditConfig, AuditLog
from streams.audit_signer import DEFAULT_ORIGIN, CheckpointSigner
from tests.support.database import TestDatabase, provision_test_database

Pool = AsyncConnectionPool[AsyncConnection[Any]]


@pytest.fixture
def own_database(tmp_path: Path) -> Iterator[TestDatabase]:
    database = provision_test_database(tmp_path / "embedded-pg")
    try:
        yield database
    finally:
        database.drop()


@pytest.fixture
def settings(own_database: TestDatabase) -> Settings:
    return own_database.settings()


@pytest.fixture
def store(settings: Settings) -> Iterator[EventStore]:
    event_store = build_event_store(settings)
    try:
        yield event_store
    finally:
        event_store.close()


@pytest.fixture
async def bus(settings: Settings, store: EventStore) -> AsyncIterator[CommandBus]:
    async with build_bus(settings, store) as command_bus:
        yield command_bus


@pytest.fixture
async def pool(own_database: TestDatabase) -> AsyncIterator[Pool]:
    async with AsyncConnectionPool(own_database.url, min_size=1, max_size=3) as opened:
        yield opened


@pytest.fixture(scope="session")
def signer() -> CheckpointSigner:
    return CheckpointSigner(DEFAULT_ORIGIN, Ed25519PrivateKey.generate())


async def _no_wait(seconds: float) -> None:
    return None


@pytest.fixture
def audit_log(
    settings: Settings, store: EventStore, pool: Pool, signer: CheckpointSigner
) -> AuditLog:
    """An audit log driven step by step by the test (no loop, no interval between checkpoints)."""
    return AuditLog(
        settings, store, pool, signer, wait=_no_wait, config=AuditConfig(checkpoint_interval_s=0)
    )
