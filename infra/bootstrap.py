"""The composition root of the write side: settings in, a running store and bus out."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from commands.aggregate_cache import AggregateCache
from commands.batch import BatchProcessor
from commands.bus import BusConfig, CommandBus
from commands.credentials import CredentialIssuer
from commands.store import EventStore, store_env
from infra.credentials.issuer import certificate_issuer
from infra.postgres import PgTarget
from infra.settings import Settings


class NotConfigured(RuntimeError):
    """A service the command needs has no configuration."""


def utc_now() -> datetime:
    return datetime.now(UTC)


def build_event_store(settings: Settings, *, create_tables: bool = False) -> EventStore:
    if not settings.database_url:
        msg = "VERACHAIN_DATABASE_URL is not set (or run `verachain dev`)"
        raise NotConfigured(msg)
    target = PgTarget.from_url(settings.database_url)
    env = store_env(
        dbname=target.dbname,
        host=target.host,
        port=target.port,
        user=target.user,
        password=target.password,
        create_tables=create_tables,
        pool_size=settings.db_pool_size,
    )
    return EventStore(env=env)


def build_bus(
    settings: Settings,
    store: EventStore,
    *,
    clock: Callable[[], datetime] = utc_now,
    credentials: CredentialIssuer | None = None,
) -> CommandBus:
    """The bus; certificates are signed with `credentials`, by default the installation's
    issuer key (loaded here, so a broken key file stops the process at start-up)."""
    processor = BatchProcessor(
        store,
        AggregateCache(settings.aggregate_cache_size),
        clock,
        credentials=credentials or certificate_issuer(settings),
        max_conflict_retries=settings.max_conflict_retries,
    )
    config = BusConfig(
        window_seconds=settings.bus_window_ms / 1000, max_batch=settings.bus_max_batch
    )
    return CommandBus(processor, config)


def init_database(settings: Settings) -> None:
    """Create the event store's tables (idempotent)."""
    store = build_event_store(settings, create_tables=True)
    store.close()
