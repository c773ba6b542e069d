"""`verachain models rescore VERIFICATION_ID`: recorded vs recomputed AI assessment."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

import click
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from infra.bootstrap import NotConfigured, build_event_store
from infra.models.errors import ModelError
from infra.settings import Settings
from streams.ai_analysis.rescore import COMPARED, Rescore, RescoreRefused, rescore


@click.command("rescore")
@click.argument("verification_id", type=click.UUID)
def rescore_command(verification_id: UUID) -> None:
    """Recompute a verification's recorded AI scores from its stored evidence with the
    recorded models; exit 0 when equal, 1 when they differ, 2 when it cannot be done."""
    settings = Settings.from_env()
    try:
        result = asyncio.run(_rescore(settings, verification_id))
    except (RescoreRefused, ModelError) as e:
        error = click.ClickException(str(e))
        error.exit_code = 2
        raise error from e
    width = max(len(name) for name in COMPARED)
    click.echo(f"{'field':<{width}}  recorded  |  recomputed")
    for name in COMPARED:
        mark = "" if name not in result.differing else "   <- differs"
        recorded, again = (repr(result.recorded[name]), repr(result.recomputed[name]))
        click.echo(f"{name:<{width}}  {recorded}  |  {again}{mark}")
    if result.differing:
        click.echo(f"DIFFERENT: {', '.join(result.differing)}")
        raise SystemExit(1)
    click.echo("SAME: the recorded scores are reproduced exactly")


async def _rescore(settings: Settings, verification_id: UUID) -> Rescore:
    if not settings.database_url:
        raise NotConfigured("VERACHAIN_DATABASE_URL is not set")
    store = build_event_store(settings)
    pool: AsyncConnectionPool[AsyncConnection[Any]] = AsyncConnectionPool(
        settings.database_url, min_size=1, max_size=1, open=False
    )
    await pool.open(wait=True)
    try:
        return await rescore(store, pool, verification_id)
    finally:
        await pool.close()
        store.close()
