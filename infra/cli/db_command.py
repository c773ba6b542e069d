"""`verachain db init`: create the event store's tables (idempotent)."""

from __future__ import annotations

import click
from rich.console import Console

from infra.bootstrap import init_database
from infra.dev_database import ensure_dev_database
from infra.settings import Settings


@click.group()
def db() -> None:
    """Database schema commands."""


@db.command("init")
def db_init() -> None:
    """Create the event store tables (safe to run again)."""
    settings, origin = ensure_dev_database(Settings.from_env())
    init_database(settings)
    Console().print(f"event store ready ({origin})")
