from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from commands.bus import CommandBus
from commands.store import EventStore
from infra.bootstrap import build_bus, build_event_store
from tests.support.database import TestDatabase
from tests.support.read_schema import pool, schema  # noqa: F401 - fixtures for the tests here


@pytest.fixture
def store(test_database: TestDatabase) -> Iterator[EventStore]:
    event_store = build_event_store(test_database.settings())
    try:
        yield event_store
    finally:
        event_store.close()


@pytest.fixture
async def bus(test_database: TestDatabase, store: EventStore) -> AsyncIterator[CommandBus]:
    command_bus = build_bus(test_database.settings(), store)
    async with command_bus:
        yield command_bus
