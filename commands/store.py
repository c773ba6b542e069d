"""The event store: an eventsourcing application on PostgreSQL with one global log."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import BaseAggregate, Snapshot
from eventsourcing.persistence import JSONTranscoder, Recording, Transcoding

from commands.recorder import PendingReceipt, StoredReceipt, VeraChainRecorder
from domain.auction import Auction
from domain.event_base import VeraEvent

AnyAggregate = BaseAggregate[UUID]

# Auctions collect many bids; a snapshot every 100 events keeps cold loads short.
SNAPSHOT_INTERVALS: Mapping[type[AnyAggregate], int] = {Auction: 100}
RECORDER_TOPIC = "commands.recorder:VeraChainRecorder"


class FrozensetAsList(Transcoding):
    """Aggregate state (snapshots) may hold frozensets (an auction's bid ids); events never
    do, so no envelope ever meets this."""

    type = frozenset
    name = "frozenset"

    def encode(self, obj: frozenset[Any]) -> list[Any]:
        return list(obj)

    def decode(self, data: list[Any]) -> frozenset[Any]:
        return frozenset(data)


class DateAsISO(Transcoding):
    """Calendar days (a product's manufacture date) as "YYYY-MM-DD". The transcoder looks
    types up exactly, so datetimes keep their own transcoding."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class EventStore(Application[UUID]):
    """Tables: verachain_events (the global notification log), verachain_snapshots,
    verachain_command_receipts."""

    name = "VeraChain"

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(FrozensetAsList())
        transcoder.register(DateAsISO())

    @property
    def vera_recorder(self) -> VeraChainRecorder:
        return cast(VeraChainRecorder, self.recorder)

    def load(self, aggregate_id: UUID) -> AnyAggregate | None:
        try:
            return self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None

    def append(
        self, events: Sequence[VeraEvent], receipts: Sequence[PendingReceipt] = ()
    ) -> list[Recording[UUID]]:
        """Write events (and receipts) in one transaction; raise IntegrityError on a clash.

        Goes straight to the event store rather than through save(): save() checks each
        object against a runtime Protocol, which cost more than encoding the events."""
        return self.events.put(events, receipts=list(receipts))

    def snapshot_due(self, aggregates: Iterable[tuple[AnyAggregate, int]]) -> None:
        """Snapshot, in one transaction, every aggregate whose new version crossed its type's
        interval since `previous_version`."""
        if self.snapshots is None:
            return
        due = [
            Snapshot.take(aggregate)
            for aggregate, previous_version in aggregates
            if (interval := SNAPSHOT_INTERVALS.get(type(aggregate))) is not None
            and aggregate.version // interval > previous_version // interval
        ]
        if due:
            self.snapshots.put(due)

    def select_receipts(self, keys: Sequence[str]) -> dict[str, StoredReceipt]:
        return self.vera_recorder.select_receipts(keys)

    def max_versions(self, aggregate_ids: Sequence[UUID]) -> dict[UUID, int]:
        return self.vera_recorder.max_versions(aggregate_ids)

    def head_position(self) -> int:
        return self.recorder.max_notification_id() or 0


def store_env(
    *,
    dbname: str,
    host: str,
    port: int,
    user: str,
    password: str,
    create_tables: bool,
    pool_size: int = 4,
) -> dict[str, str]:
    """The eventsourcing settings for our PostgreSQL store. Database functions stay off:
    they skip the table lock that keeps notification ids in commit order (FINDINGS.md)."""
    env: dict[str, Any] = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": dbname,
        "POSTGRES_HOST": host,
        "POSTGRES_PORT": str(port),
        "POSTGRES_USER": user,
        "POSTGRES_PASSWORD": password,
        "POSTGRES_POOL_SIZE": str(pool_size),
        "POSTGRES_MAX_OVERFLOW": str(pool_size),
        "POSTGRES_LOCK_TIMEOUT": "10",
        "POSTGRES_ENABLE_DB_FUNCTIONS": "n",
        "APPLICATION_RECORDER_TOPIC": RECORDER_TOPIC,
        "IS_SNAPSHOTTING_ENABLED": "y",
        "CREATE_TABLE": "y" if create_tables else "n",
    }
    return env
