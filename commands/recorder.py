"""The PostgreSQL recorder of the event store, extended with command receipts.

A receipt (idempotency key → result) is written in the same transaction as the command's
events, so "handled" and "recorded" can never disagree, even across a crash."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier


@dataclass(frozen=True, slots=True)
class PendingReceipt:
    """A receipt to write with a batch; its position is the id of event `last_event_index`."""

    key: str
    fingerprint: str
    result: dict[str, Any]
    last_event_index: int


@dataclass(frozen=True, slots=True)
class StoredReceipt:
    fingerprint: str
    result: dict[str, Any]


class VeraChainRecorder(PostgresApplicationRecorder):
    def __init__(
        self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"
    ) -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        self.receipts_table_name = events_table_name.removesuffix("_events") + "_command_receipts"
        receipts = Identifier(self.datastore.schema), Identifier(self.receipts_table_name)
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {0}.{1} ("
                "receipt_key text PRIMARY KEY, "
                "fingerprint text NOT NULL, "
                "result jsonb NOT NULL, "
                "recorded_at timestamptz NOT NULL DEFAULT now())"
            ).format(*receipts)
        )
        self._insert_receipt = SQL(
            "INSERT INTO {0}.{1} (receipt_key, fingerprint, result) VALUES (%s, %s, %s)"
        ).format(*receipts)
        self._select_receipts = SQL(
            "SELECT receipt_key, fingerprint, result FROM {0}.{1} WHERE receipt_key = ANY(%s)"
        ).format(*receipts)
        # Four typed arrays in binary format instead of eventsourcing's array of composite
        # rows: psycopg dumps composites in pure Python, which was a third of the write path.
        self._insert_events_fast = SQL(
            "INSERT INTO {0}.{1} (originator_id, originator_version, topic, state) "
            "SELECT * FROM unnest(%b::uuid[], %b::int8[], %b::text[], %b::bytea[]) "
            "RETURNING notification_id"
        ).format(Identifier(self.datastore.schema), Identifier(self.events_table_name))
        self._select_versions = SQL(
            "SELECT originator_id, MAX(originator_version) AS version FROM {0}.{1} "
            "WHERE originator_id = ANY(%s) GROUP BY originator_id"
        ).format(Identifier(self.datastore.schema), Identifier(self.events_table_name))

    def _insert_stored_events(
        self,
        curs: Cursor[DictRow],
        stored_events: Sequence[StoredEvent],
        **_: Any,
    ) -> None:
        # Same lock and notification as the library's recorder (commit order = id order).
        self._lock_table(curs)
        self._notify_channel(curs)
        curs.execute(
            self._insert_events_fast,
            (
                [e.originator_id for e in stored_events],
                [e.originator_version for e in stored_events],
                [e.topic for e in stored_events],
                [e.state for e in stored_events],
            ),
        )

    def _fetch_ids_after_insert_events(
        self,
        curs: Cursor[DictRow],
        stored_events: Sequence[StoredEvent],
        **kwargs: Any,
    ) -> Sequence[int] | None:
        notification_ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        receipts: Sequence[PendingReceipt] = kwargs.get("receipts") or ()
        if receipts and notification_ids:
            rows = [
                (
                    r.key,
                    r.fingerprint,
                    json.dumps({**r.result, "position": notification_ids[r.last_event_index]}),
                )
                for r in receipts
            ]
            # A nested pipeline block syncs on exit, so a duplicate key raises here, inside
            # the recorder's error handling, and the whole batch rolls back with it.
            with curs.connection.pipeline():
                curs.executemany(self._insert_receipt, rows)
        return notification_ids

    def select_receipts(self, keys: Sequence[str]) -> dict[str, StoredReceipt]:
        if not keys:
            return {}
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._select_receipts, (list(keys),))
            return {
                row["receipt_key"]: StoredReceipt(row["fingerprint"], row["result"])
                for row in curs.fetchall()
            }

    def max_versions(self, aggregate_ids: Sequence[UUID]) -> dict[UUID, int]:
        """The stored head version of each aggregate (absent ones are left out)."""
        if not aggregate_ids:
            return {}
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._select_versions, (list(aggregate_ids),))
            return {row["originator_id"]: row["version"] for row in curs.fetchall()}
