"""Where the tests' PostgreSQL comes from: VERACHAIN_DATABASE_URL when set, else the server on
127.0.0.1:5432 (this machine kind), else an embedded one. Each session gets its own database."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from infra.bootstrap import init_database
from infra.postgres import (
    LOCAL_SERVER_URL,
    PgTarget,
    create_database,
    drop_database,
    local_server_listening,
    start_embedded_server,
)
from infra.settings import Settings


@dataclass(frozen=True)
class TestDatabase:
    __test__ = False  # a fixture value, not a test class

    server_url: str
    name: str

    @property
    def url(self) -> str:
        return PgTarget.from_url(self.server_url).url(self.name)

    def settings(self, **overrides: object) -> Settings:
        base = Settings.from_env({}).with_database(self.url)
        return Settings(**{**base.__dict__, **overrides})

    def drop(self) -> None:
        drop_database(self.server_url, self.name)


def server_url(embedded_dir: Path) -> str:
    configured = os.environ.get("VERACHAIN_DATABASE_URL")
    if configured:
        return PgTarget.from_url(configured).url("postgres")
    if local_server_listening():
        return LOCAL_SERVER_URL
    return start_embedded_server(embedded_dir)


def provision_test_database(embedded_dir: Path) -> TestDatabase:
    url = server_url(embedded_dir)
    database = TestDatabase(url, f"verachain_test_{uuid.uuid4().hex[:12]}")
    create_database(url, database.name)
    init_database(database.settings())
    return database
