"""The event store's history as envelopes, read straight from its notification log (not
through Kafka): in global order and large batches for rebuilds and checks, or one
aggregate's version range for a live projection that has to repair a gap."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator, Sequence
from uuid import UUID

from eventsourcing.persistence import Notification
from eventsourcing.utils import resolve_topic
from psycopg.sql import SQL, Identifier

from commands.store import EventStore
from domain.envelope import recorded_envelope
from domain.event_base import VeraEvent
from projections.read_rows import Envelope

# FINDINGS.md: select_notifications reads 130-180k notifications/s in batches of 500+.
HISTORY_BATCH = 5_000


def envelopes_of(store: EventStore, notifications: Sequence[Notification]) -> list[Envelope]:
    """Stored events as their envelopes, as recorded (see recorded_envelope_of)."""
    return [recorded_envelope_of(store, notification) for notification in notifications]


def recorded_envelope_of(store: EventStore, stored: Notification) -> Envelope:
    """The envelope of a stored event as it was recorded: its state decoded but not upcast
    (no domain object is built either). What the relay publishes and the audit log hashes,
    so an envelope never changes when a later version of its class adds fields; the
    projections upcast what they read (domain.envelope.upcast_envelope)."""
    event_type = resolve_topic(stored.topic)
    if not (isinstance(event_type, type) and issubclass(event_type, VeraEvent)):
        msg = f"stored event {stored.originator_id}/{stored.originator_version} is a {stored.topic}"
        raise TypeError(msg)
    state = store.mapper.transcoder.decode(stored.state)
    return recorded_envelope(
        event_type, UUID(str(stored.originator_id)), stored.originator_version, state, stored.id
    )


def read_history_batch(
    store: EventStore, after: int, limit: int = HISTORY_BATCH, up_to: int | None = None
) -> list[Envelope]:
    """Up to `limit` envelopes with positions in (after, up_to], in global order."""
    notifications = store.recorder.select_notifications(
        after, limit, stop=up_to, inclusive_of_start=False
    )
    return envelopes_of(store, notifications)


def history_batches(
    store: EventStore,
    *,
    after: int = 0,
    up_to: int | None = None,
    batch_size: int = HISTORY_BATCH,
) -> Iterator[list[Envelope]]:
    """Every envelope after position `after` (up to `up_to`, else until the log's current
    end), in global order, a batch at a time. Notification ids are ordered but not dense
    (FINDINGS.md), so the next batch starts after the last id seen, never at after+limit."""
    while True:
        batch = read_history_batch(store, after, batch_size, up_to)
        if not batch:
            return
        yield batch
        after = int(batch[-1]["position"])


async def stream_history(
    store: EventStore,
    *,
    after: int = 0,
    up_to: int | None = None,
    batch_size: int = HISTORY_BATCH,
) -> AsyncIterator[list[Envelope]]:
    """history_batches for async code: the library is synchronous, so each batch is read
    in a thread, and the next one is read while the caller handles the current one."""
    batch = await asyncio.to_thread(read_history_batch, store, after, batch_size, up_to)
    while batch:
        upcoming = asyncio.ensure_future(
            asyncio.to_thread(
                read_history_batch, store, int(batch[-1]["position"]), batch_size, up_to
            )
        )
        try:
            yield batch
        except BaseException:
            upcoming.cancel()
            raise
        batch = await upcoming


def read_aggregate_history(
    store: EventStore, aggregate_id: UUID | str, after_version: int, up_to_version: int
) -> list[Envelope]:
    """One aggregate's envelopes with versions in (after_version, up_to_version], in
    version order, each with its global position: what a live projection that met a
    version gap reads to repair it."""
    recorder = store.vera_recorder
    query = SQL(
        "SELECT notification_id, originator_id, originator_version, topic, state "
        "FROM {schema}.{table} "
        "WHERE originator_id = %s AND originator_version > %s AND originator_version <= %s "
        "ORDER BY originator_version"
    ).format(
        schema=Identifier(recorder.datastore.schema),
        table=Identifier(recorder.events_table_name),
    )
    params = (UUID(str(aggregate_id)), after_version, up_to_version)
    with recorder.datastore.get_connection() as conn, conn.cursor() as cursor:
        cursor.execute(query, params)
        rows = cursor.fetchall()
    notifications = [
        Notification(
            id=row["notification_id"],
            originator_id=row["originator_id"],
            originator_version=row["originator_version"],
            topic=row["topic"],
            state=bytes(row["state"]),
        )
        for row in rows
    ]
    return envelopes_of(store, notifications)


async def aggregate_history(
    store: EventStore, aggregate_id: UUID | str, after_version: int, up_to_version: int
) -> list[Envelope]:
    """read_aggregate_history for the live projections' async code (read in a thread)."""
    return await asyncio.to_thread(
        read_aggregate_history, store, aggregate_id, after_version, up_to_version
    )
