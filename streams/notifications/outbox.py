"""The outbox: one row per notification job, so a job that runs again after its e-mail went
out sends nothing (the unique job id), and `status`/`last_error` say what happened."""

from __future__ import annotations

import logging
from typing import Any, Protocol

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from streams.jobs.job import Job

log = logging.getLogger(__name__)

DDL = """
CREATE TABLE IF NOT EXISTS verachain_outbox (
    id bigserial PRIMARY KEY,
    job_id text NOT NULL UNIQUE,
    recipient text NOT NULL,
    subject text NOT NULL,
    body text NOT NULL,
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    sent_at timestamptz,
    last_error text
);
-- What the notifier remembers per aggregate (streams/notifications/mapping.py).
CREATE TABLE IF NOT EXISTS verachain_notifier_state (
    aggregate_id text PRIMARY KEY,
    version integer NOT NULL,
    facts jsonb NOT NULL
)
"""

FIELDS = ("recipient", "subject", "body")
Pool = AsyncConnectionPool[AsyncConnection[Any]]


class MailSender(Protocol):
    async def send(self, recipient: str, subject: str, body: str, message_id: str) -> None: ...


class InvalidNotification(ValueError):
    """A notification job without a recipient, subject or body."""


async def ensure_schema(pool: Pool) -> None:
    async with pool.connection() as conn, conn.transaction():
        # Two workers starting together would race on CREATE TABLE IF NOT EXISTS.
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('verachain_outbox_schema'))")
        await conn.execute(DDL)


class Outbox:
    """The `notification` job handler: write the outbox row, send, record the result."""

    def __init__(self, pool: Pool, sender: MailSender) -> None:
        self.pool = pool
        self.sender = sender

    async def __call__(self, job: Job) -> None:
        try:
            recipient, subject, body = (str(job.payload[k]) for k in FIELDS)
        except KeyError as e:
            raise InvalidNotification(f"notification job {job.job_id} has no {e}") from e
        failure: Exception | None = None
        async with self.pool.connection() as conn, conn.transaction():
            await conn.execute(
                "INSERT INTO verachain_outbox (job_id, recipient, subject, body) "
                "VALUES (%s, %s, %s, %s) ON CONFLICT (job_id) DO NOTHING",
                (job.job_id, recipient, subject, body),
            )
            # FOR UPDATE, held while sending: two copies of one job (a redelivery racing
            # its retry) serialize here, and the second sees 'sent' and does nothing.
            cursor = await conn.execute(
                "SELECT status FROM verachain_outbox WHERE job_id = %s FOR UPDATE",
                (job.job_id,),
            )
            row = await cursor.fetchone()
            if row is not None and row[0] == "sent":
                log.info("notification %s was sent already: nothing to do", job.job_id)
                return
            try:
                await self.sender.send(recipient, subject, body, job.job_id)
            except Exception as e:  # recorded, then re-raised for the retry
                failure = e
            await conn.execute(
                "UPDATE verachain_outbox SET attempts = attempts + 1, status = %s, "
                "sent_at = CASE WHEN %s THEN now() END, last_error = %s WHERE job_id = %s",
                (
                    "failed" if failure else "sent",
                    failure is None,
                    f"{type(failure).__name__}: {failure}" if failure else None,
                    job.job_id,
                ),
            )
        if failure is not None:
            raise failure
