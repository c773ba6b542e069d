"""Reading what the event store really holds, to check it against what callers were told."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast
from uuid import UUID

import psycopg
from eventsourcing.domain import Snapshot
from psycopg import sql

from commands.store import AnyAggregate, EventStore
from domain.auction import Auction
from domain.event_base import VeraEvent
from domain.product import Product


def stored_events(store: EventStore, aggregate_id: UUID) -> list[VeraEvent]:
    """Every stored event of one aggregate, in version order (snapshots ignored)."""
    return cast(list[VeraEvent], list(store.events.get(aggregate_id)))


def full_replay(store: EventStore, aggregate_id: UUID) -> AnyAggregate:
    """The aggregate rebuilt from its first event, never from a snapshot."""
    aggregate: AnyAggregate | None = None
    for event in stored_events(store, aggregate_id):
        aggregate = event.mutate(aggregate)
    assert aggregate is not None, f"no events for {aggregate_id}"
    return aggregate


def replay_from_latest_snapshot(store: EventStore, aggregate_id: UUID) -> AnyAggregate:
    """The aggregate rebuilt from its latest snapshot plus the events after it."""
    assert store.snapshots is not None
    snapshots = list(store.snapshots.get(aggregate_id, desc=True, limit=1))
    assert snapshots, f"no snapshot of {aggregate_id}"
    snapshot = cast(Snapshot, snapshots[0])
    aggregate: AnyAggregate | None = snapshot.mutate(None)
    for event in store.events.get(aggregate_id, gt=snapshot.originator_version):
        aggregate = cast(VeraEvent, event).mutate(aggregate)
    assert aggregate is not None
    return aggregate


def state_of(aggregate: AnyAggregate) -> dict[str, Any]:
    """An aggregate's attributes, to compare two reconstructions of it."""
    return dict(vars(aggregate))


@dataclass(frozen=True, slots=True)
class StoredRow:
    notification_id: int
    originator_id: UUID
    originator_version: int
    transaction_id: int  # xmin: the PostgreSQL transaction that inserted the row


def stored_rows(
    store: EventStore, database_url: str, aggregate_ids: Sequence[UUID]
) -> list[StoredRow]:
    """The events table's rows of some aggregates, ordered by notification id."""
    table = sql.Identifier(store.vera_recorder.events_table_name)
    query = sql.SQL(
        "SELECT notification_id, originator_id, originator_version, xmin::text AS txid "
        "FROM {} WHERE originator_id = ANY(%s) ORDER BY notification_id"
    ).format(table)
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(query, (list(aggregate_ids),)).fetchall()
    return [StoredRow(int(r[0]), r[1], int(r[2]), int(r[3])) for r in rows]


def positions_by_version(
    store: EventStore, database_url: str, aggregate_ids: Sequence[UUID]
) -> dict[tuple[UUID, int], int]:
    """(aggregate id, version) → global position (notification id)."""
    rows = stored_rows(store, database_url, aggregate_ids)
    return {(r.originator_id, r.originator_version): r.notification_id for r in rows}


def snapshot_versions(store: EventStore, database_url: str, aggregate_id: UUID) -> list[int]:
    assert store.snapshots is not None
    table = sql.Identifier(store.snapshots.recorder.events_table_name)  # type: ignore[attr-defined]
    query = sql.SQL(
        "SELECT originator_version FROM {} WHERE originator_id = %s ORDER BY originator_version"
    ).format(table)
    with psycopg.connect(database_url) as conn:
        return [int(r[0]) for r in conn.execute(query, (aggregate_id,)).fetchall()]


def count_registrations(store: EventStore, manufacturer: str, serial_number: str) -> int:
    """ProductRegistered events anywhere in the log naming this manufacturer + serial."""
    found = 0
    start = 1
    while True:
        notifications = store.recorder.select_notifications(start=start, limit=1000)
        if not notifications:
            return found
        for n in notifications:
            if n.originator_version != 1:
                continue
            event = store.mapper.to_domain_event(n)
            if (
                isinstance(event, Product.Registered)
                and event.manufacturer == manufacturer.strip()
                and event.serial_number == serial_number.strip()
            ):
                found += 1
        start = notifications[-1].id + 1


def checked_bids(store: EventStore, auction_id: UUID) -> list[Auction.BidPlaced]:
    """The auction's stored bids, after checking the history's invariants: versions are
    dense from 1, every bid beats the previous one by the increment (the first meets the
    reserve), and the rebuilt auction reports the last bid as the highest."""
    events = stored_events(store, auction_id)
    assert [e.originator_version for e in events] == list(range(1, len(events) + 1))
    opened = events[0]
    assert isinstance(opened, Auction.Opened)
    bids = [e for e in events if isinstance(e, Auction.BidPlaced)]
    minimum = opened.reserve_price
    for bid in bids:
        assert bid.amount >= minimum, (bid.originator_version, bid.amount, minimum)
        minimum = bid.amount + opened.min_increment
    auction = store.load(auction_id)
    assert isinstance(auction, Auction)
    assert auction.version == len(events)
    assert auction.bid_count == len(bids)
    expected_highest: Decimal | None = bids[-1].amount if bids else None
    assert auction.highest_amount == expected_highest
    if bids:
        assert auction.highest_bid_id == bids[-1].bid_id
    return bids
