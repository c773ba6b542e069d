"""Turns domain events into notification jobs (run by a worker agent beside the projector).

Idempotent under redelivery: the memory of an aggregate is saved with the version it has
seen, in the transaction that read it, only after the jobs were acknowledged by the broker.
A crash before the commit replays the events into the same jobs (the ids derive from the
event), which the outbox then recognises; a crash after it skips them by version."""

from __future__ import annotations

import json
import logging
from typing import Any

from psycopg.types.json import Jsonb

from infra.contacts import emails_of
from streams.jobs.job import new_job
from streams.jobs.job_queue import JobQueue
from streams.jobs.job_topics import NOTIFICATION, job_topic
from streams.notifications.mapping import RELEVANT_TYPES, Email, Memory, notifications_for
from streams.notifications.outbox import Pool

log = logging.getLogger(__name__)


class Notifier:
    def __init__(self, pool: Pool, queue: JobQueue) -> None:
        self.pool = pool
        self.queue = queue

    async def handle_batch(self, values: list[bytes]) -> int:
        """Enqueue the e-mails a batch of envelopes causes; return how many."""
        envelopes = [e for e in map(_envelope, values) if e is not None]
        if not envelopes:
            return 0
        ids = sorted({str(e["aggregate_id"]) for e in envelopes})
        async with self.pool.connection() as conn, conn.transaction():
            # FOR UPDATE: two workers handed the same partition during a rebalance take
            # turns here; the second one finds the versions advanced and sends nothing.
            cursor = await conn.execute(
                "SELECT aggregate_id, version, facts FROM verachain_notifier_state "
                "WHERE aggregate_id = ANY(%s) ORDER BY aggregate_id FOR UPDATE",
                (ids,),
            )
            memories = {row[0]: Memory(row[1], row[2]) for row in await cursor.fetchall()}
            changed: dict[str, Memory] = {}
            emails: list[Email] = []
            for envelope in envelopes:
                aggregate_id = str(envelope["aggregate_id"])
                step = notifications_for(envelope, memories.get(aggregate_id))
                if step.memory is not None:
                    memories[aggregate_id] = changed[aggregate_id] = step.memory
                emails += step.emails
            # On the connection this transaction already holds (its pool has two).
            addresses = await emails_of(conn, (e.recipient_id for e in emails))
            jobs = []
            for email in emails:
                address = addresses.get(email.recipient_id)
                if address is None:
                    log.info(
                        "no e-mail for %s (no contact address): %s notification skipped",
                        email.recipient_id,
                        email.template,
                    )
                    continue
                jobs.append(new_job(NOTIFICATION, email.payload(address), job_id=email.job_id))
            await self.queue.send_many(job_topic(NOTIFICATION), jobs)
            for aggregate_id, memory in changed.items():
                await conn.execute(
                    "INSERT INTO verachain_notifier_state (aggregate_id, version, facts) "
                    "VALUES (%s, %s, %s) ON CONFLICT (aggregate_id) DO UPDATE "
                    "SET version = excluded.version, facts = excluded.facts",
                    (aggregate_id, memory.version, Jsonb(memory.facts)),
                )
        return len(jobs)


def _envelope(value: bytes) -> dict[str, Any] | None:
    """The envelope if it can cause an e-mail. Malformed messages are the projector's to
    dead-letter (it reads the same topics); here they are only skipped."""
    try:
        envelope = json.loads(value)
    except ValueError:
        return None
    if not isinstance(envelope, dict) or envelope.get("type") not in RELEVANT_TYPES:
        return None
    return envelope
