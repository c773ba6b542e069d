"""The pipeline fault tests' own services: a database, an embedded Redis and an embedded
broker each (they restart or cut them off), with the store and bus on that database."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from commands.bus import CommandBus
from commands.store import EventStore
from infra.bootstrap import build_bus, build_event_store
from infra.embedded_redis import EmbeddedRedis
from infra.kafka_broker import EmbeddedBroker
from infra.settings import Settings
from tests.support.database import TestDatabase, provision_test_database

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("VERACHAIN_KAFKA_BOOTSTRAP")), reason="restarts the embedded broker"
)


@pytest.fixture
def own_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestDatabase]:
    database = provision_test_database(tmp_path_factory.mktemp("pipeline-pg"))
    try:
        yield database
    finally:
        database.drop()


@pytest.fixture
def own_redis() -> Iterator[EmbeddedRedis]:
    with EmbeddedRedis() as server:
        yield server


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[EmbeddedBroker]:
    started = EmbeddedBroker(log_path=tmp_path / "tansu.log").start()
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture
def settings(
    own_database: TestDatabase, own_redis: EmbeddedRedis, broker: EmbeddedBroker
) -> Settings:
    return own_database.settings(relay_metrics_port=0, redis_url=own_redis.url).with_kafka(
        broker.bootstrap, embedded=True
    )


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
