"""The fallback for a machine without a PostgreSQL server: an embedded one from a wheel."""

from __future__ import annotations

import uuid
from pathlib import Path

from commands.actor import Actor, Role
from commands.messages import RegisterProduct
from infra.bootstrap import build_bus, build_event_store, init_database
from infra.postgres import (
    PgTarget,
    create_database,
    start_embedded_server,
    stop_embedded_server,
)
from infra.settings import Settings


async def test_embedded_server_hosts_the_event_store(tmp_path: Path) -> None:
    server = start_embedded_server(tmp_path / "pg")
    create_database(server, "verachain")
    settings = Settings().with_database(PgTarget.from_url(server).url("verachain"))
    init_database(settings)
    store = build_event_store(settings)
    try:
        async with build_bus(settings, store) as bus:
            result = await bus.dispatch(
                RegisterProduct(
                    sku="E-1", serial_number=uuid.uuid4().hex, name="Lamp", manufacturer="Acme"
                ),
                Actor.of("acme", Role.MANUFACTURER),
            )
        assert result.position == store.head_position()
        assert store.load(uuid.UUID(result.ids["productId"])) is not None
    finally:
        store.close()
        stop_embedded_server(tmp_path / "pg")
