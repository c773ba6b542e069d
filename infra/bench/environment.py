"""What every benchmark runs against: a database of its own, dropped at the end, and for
the relay a broker (the configured cluster, else an embedded Tansu)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from infra.bootstrap import init_database
from infra.dev_database import server_url_for
from infra.kafka_broker import EmbeddedBroker
from infra.postgres import PgTarget, create_database, drop_database
from infra.settings import Settings


@contextmanager
def bench_database(base: Settings) -> Iterator[tuple[Settings, str]]:
    """Settings for a fresh database with the store's tables, and where its server came
    from. The database is created on the configured (else local, else embedded) server."""
    server, origin = server_url_for(base, base.data_dir)
    dbname = f"verachain_bench_{uuid.uuid4().hex[:8]}"
    create_database(server, dbname)
    try:
        settings = base.with_database(PgTarget.from_url(server).url(dbname))
        init_database(settings)
        yield settings, origin
    finally:
        drop_database(server, dbname)


@contextmanager
def bench_broker(settings: Settings) -> Iterator[tuple[Settings, str]]:
    """Settings with a broker, and where it came from: VERACHAIN_KAFKA_BOOTSTRAP's cluster
    when configured, else an embedded Tansu that lives as long as the context."""
    if settings.kafka_bootstrap:
        yield settings, f"configured ({settings.kafka_bootstrap})"
        return
    with EmbeddedBroker() as broker:
        yield settings.with_kafka(broker.bootstrap, embedded=True), "embedded Tansu"
