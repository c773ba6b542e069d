"""`verachain dev` on a shared local PostgreSQL: one database per data directory, since the
directory's audit key must be the one that signed the store's checkpoints."""

from __future__ import annotations

import re
from pathlib import Path

from infra.dev_database import dev_database_name


def test_one_directory_always_names_the_same_database(tmp_path: Path) -> None:
    here = tmp_path / ".verachain"
    assert dev_database_name(here) == dev_database_name(tmp_path / "x" / ".." / ".verachain")


def test_two_checkouts_get_two_databases(tmp_path: Path) -> None:
    first = dev_database_name(tmp_path / "a" / ".verachain")
    second = dev_database_name(tmp_path / "b" / ".verachain")
    assert first != second
    for name in (first, second):
        assert re.fullmatch(r"verachain_[0-9a-f]{10}", name)
