"""Shared fixtures. Unit tests use none of the service fixtures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.database import TestDatabase, provision_test_database


@pytest.fixture(scope="session")
def test_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestDatabase]:
    """A database of this test session's own, with the event store's tables created."""
    embedded_dir = Path(tmp_path_factory.mktemp("embedded-pg"))
    database = provision_test_database(embedded_dir)
    try:
        yield database
    finally:
        database.drop()
