"""`verachain dev`: everything on one machine, with embedded defaults when unconfigured.

For now: finds or starts PostgreSQL, prepares the schema, prints a token per role, runs
the demo traffic and prints what happened. The relay, workers and API join it later."""

from __future__ import annotations

import asyncio

import click
from rich.console import Console
from rich.table import Table

from commands.actor import Role
from infra.bootstrap import init_database
from infra.cli.demo_command import drive_demo, print_report
from infra.dev_database import ensure_dev_database
from infra.settings import Settings
from infra.tokens import issue_token, load_or_create_secret


@click.command()
@click.option("--products", default=20, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--auctions", default=5, show_default=True, type=click.IntRange(0, 1_000))
@click.option("--bidders", default=8, show_default=True, type=click.IntRange(1, 1_000))
@click.option("--seconds", default=8.0, show_default=True, type=click.FloatRange(0.5, 3600))
def dev(products: int, auctions: int, bidders: int, seconds: float) -> None:
    """Start (or connect to) the services, prepare the schema, and run demo traffic."""
    console = Console()
    base = Settings.from_env()
    settings, origin = ensure_dev_database(base)
    console.print(f"[bold]PostgreSQL[/]: {origin}")
    init_database(settings)
    console.print("[bold]event store[/]: schema ready")

    secret = base.jwt_secret or load_or_create_secret(base.data_dir)
    if not base.jwt_secret:
        console.print(
            f"[bold]JWT secret[/]: generated for development, kept in {base.data_dir}/jwt_secret"
        )
    tokens = Table(title="bearer tokens (12 h)", show_header=True)
    tokens.add_column("role")
    tokens.add_column("token", overflow="fold")
    for role in (Role.MANUFACTURER, Role.INSPECTOR, Role.BIDDER, Role.AUDITOR, Role.ADMIN):
        tokens.add_row(role.value, issue_token(secret, f"dev-{role.value}", [role]))
    console.print(tokens)

    report = asyncio.run(drive_demo(settings, products, auctions, bidders, seconds))
    print_report(console, report, origin)
