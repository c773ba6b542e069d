"""`verachain relay` (run it) and `verachain relay status`."""

from __future__ import annotations

import asyncio
import signal

import click
import psycopg
from rich.console import Console

from infra.bootstrap import NotConfigured, build_event_store
from infra.relay_runner import run_relay
from infra.service_process import start_service_process
from infra.settings import Settings


@click.group(invoke_without_command=True)
@click.pass_context
def relay(ctx: click.Context) -> None:
    """Publish the event store's events to Kafka (runs until SIGINT/SIGTERM)."""
    if ctx.invoked_subcommand is None:
        start_service_process("relay", verbose=ctx.obj.get("verbose", False) if ctx.obj else False)
        asyncio.run(_run(Settings.from_env()))


async def _run(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await run_relay(settings, stop)


@relay.command("status")
def relay_status() -> None:
    """The store's head, the published position and the lag between them."""
    settings = Settings.from_env()
    if not settings.database_url:
        raise NotConfigured("VERACHAIN_DATABASE_URL is not set")
    store = build_event_store(settings)
    try:
        head = store.head_position()
    finally:
        store.close()
    with psycopg.connect(settings.database_url) as conn:
        exists = conn.execute("SELECT to_regclass('verachain_relay_positions')").fetchone()
        row = (
            conn.execute(
                "SELECT position, updated_at FROM verachain_relay_positions WHERE relay = 'relay'"
            ).fetchone()
            if exists and exists[0]
            else None
        )
    published = int(row[0]) if row else 0
    console = Console()
    console.print(f"store head position   {head}")
    console.print(
        f"published position    {published}"
        + (f"  (at {row[1]:%Y-%m-%d %H:%M:%S %Z})" if row else "  (never ran)")
    )
    console.print(f"lag                   {max(0, head - published)} events")
