"""The rebuild tests' own database, Redis prefix, store and bus (they swap and drop the
read_model schema, so they must not share the session database)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from redis import Redis

from commands.bus import CommandBus
from commands.store import EventStore
from infra.bootstrap import build_bus, build_event_store
from infra.settings import Settings
from tests.integration.rebuild.support import PREFIX
from tests.support.database import TestDatabase, provision_test_database


@pytest.fixture(scope="module")
def own_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestDatabase]:
    database = provision_test_database(tmp_path_factory.mktemp("rebuild-pg"))
    try:
        yield database
    finally:
        database.drop()


@pytest.fixture(scope="module")
def redis(redis_url: str) -> Iterator[Redis]:
    client = Redis.from_url(redis_url, decode_responses=True)
    try:
        yield client
    finally:
        for pattern in (f"{PREFIX}:*", f"{PREFIX}-rebuild:*"):
            keys = list(client.scan_iter(match=pattern))
            if keys:
                client.delete(*keys)
        client.close()


@pytest.fixture
def settings(own_database: TestDatabase, redis_url: str) -> Settings:
    return own_database.settings(redis_url=redis_url)


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
