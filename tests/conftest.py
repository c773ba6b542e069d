"""Shared fixtures. Unit tests use none of the service fixtures."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

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
