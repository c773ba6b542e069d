"""Shared fixtures. Unit tests use none of the service fixtures."""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from infra.kafka_broker import EmbeddedBroker
from tests.support.database import TestDatabase, provision_test_database
from tests.support.kafka import KafkaTarget


@pytest.fixture(scope="session")
def test_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestDatabase]:
    """A database of this test session's own, with the event store's tables created."""
    embedded_dir = Path(tmp_path_factory.mktemp("embedded-pg"))
    database = provision_test_database(embedded_dir)
    try:
        yield database
    finally:
        database.drop()


@pytest.fixture
def kafka() -> Iterator[KafkaTarget]:
    """A broker of this test's own: the configured cluster, else a fresh embedded Tansu."""
    configured = os.environ.get("VERACHAIN_KAFKA_BOOTSTRAP")
    if configured:
        yield KafkaTarget(configured, embedded=False)
        return
    with EmbeddedBroker() as broker:
        yield KafkaTarget(broker.bootstrap, embedded=True)


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A Redis database of this test session's own (the configured server, else the local
    one): a random database number, flushed before and after."""
    base = os.environ.get("VERACHAIN_REDIS_URL", "redis://127.0.0.1:6379/0").rsplit("/", 1)[0]
    url = f"{base}/{random.randint(1, 15)}"
    client = redis.Redis.from_url(url)
    client.flushdb()
    try:
        yield url
    finally:
        client.flushdb()
        client.close()


def _own_database(tmp_path: Path, name: str) -> Iterator[TestDatabase]:
    database = provision_test_database(tmp_path / f"embedded-pg-{name}")
    try:
        yield database
    finally:
        database.drop()


@pytest.fixture
def source_database(tmp_path: Path) -> Iterator[TestDatabase]:
    """A store of its own, e.g. to back up (the session's holds checkpoints signed with
    other tests' keys)."""
    yield from _own_database(tmp_path, "source")


@pytest.fixture
def target_database(tmp_path: Path) -> Iterator[TestDatabase]:
    """Another, empty store, e.g. to restore into."""
    yield from _own_database(tmp_path, "target")
