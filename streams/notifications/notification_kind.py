"""Wiring of the `notification` kind and the notifier agent (opened in the worker's loop)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from infra.bootstrap import NotConfigured
from infra.contacts import ensure_contacts_schema
from infra.settings import Settings
from streams.jobs.job_queue import JobQueue
from streams.jobs.registry import HandlerOpener, JobHandler
from streams.notifications.notifier import Notifier
from streams.notifications.outbox import Outbox, ensure_schema
from streams.notifications.smtp_sender import SmtpSender


@contextlib.asynccontextmanager
async def _pool(settings: Settings) -> AsyncIterator[AsyncConnectionPool[AsyncConnection[Any]]]:
    if not settings.database_url:
        raise NotConfigured("VERACHAIN_DATABASE_URL is not set")
    pool: AsyncConnectionPool[AsyncConnection[Any]] = AsyncConnectionPool(
        settings.database_url, min_size=1, max_size=2, open=False
    )
    await pool.open(wait=True)
    try:
        await ensure_schema(pool)
        await ensure_contacts_schema(pool)  # the notifier reads who gets e-mail
        yield pool
    finally:
        await pool.close()


def outbox_opener(settings: Settings) -> HandlerOpener:
    """The `notification` handler: the outbox over this database and SMTP server."""

    @contextlib.asynccontextmanager
    async def open_outbox() -> AsyncIterator[JobHandler]:
        async with _pool(settings) as pool:
            yield Outbox(pool, SmtpSender(settings))

    return open_outbox


@contextlib.asynccontextmanager
async def open_notifier(settings: Settings) -> AsyncIterator[Notifier]:
    async with _pool(settings) as pool, JobQueue(settings) as queue:
        yield Notifier(pool, queue)
