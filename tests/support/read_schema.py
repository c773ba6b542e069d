"""Read tables of a test's own, in the session's shared database: a fresh schema per test,
dropped after it, so what a test projects (or leaves unprojected) is its alone."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from streams.sql_projection import ensure_read_model_schema
from tests.support.database import TestDatabase

Pool = AsyncConnectionPool[AsyncConnection[Any]]


@pytest.fixture
async def pool(test_database: TestDatabase) -> AsyncIterator[Pool]:
    async with AsyncConnectionPool(test_database.url, min_size=1, max_size=2) as opened:
        yield opened


@pytest.fixture
async def schema(pool: Pool) -> AsyncIterator[str]:
    name = f"rm_{uuid.uuid4().hex[:10]}"
    await ensure_read_model_schema(pool, name)
    yield name
    async with pool.connection() as conn:
        await conn.execute(f'DROP SCHEMA "{name}" CASCADE'.encode())
