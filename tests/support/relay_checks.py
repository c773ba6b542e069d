"""What the relay tests assert: the topics hold exactly the store's history, valid and in order."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from typing import Any
from uuid import UUID

import jsonschema
import psycopg

from commands.store import EventStore
from domain.catalog import event_types
from streams.event_schemas import load_schema
from streams.trace_context import traceparent
from tests.support.kafka import ConsumedMessage


def published_position(database_url: str) -> int:
    with psycopg.connect(database_url) as conn:
        exists = conn.execute("SELECT to_regclass('verachain_relay_positions')").fetchone()
        if not exists or exists[0] is None:
            return 0
        row = conn.execute(
            "SELECT position FROM verachain_relay_positions WHERE relay = 'relay'"
        ).fetchone()
        return int(row[0]) if row else 0


async def wait_until_published(
    database_url: str, store: EventStore, timeout_s: float = 30.0
) -> None:
    head = store.head_position()
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if published_position(database_url) >= head:
            return
        await asyncio.sleep(0.05)
    msg = f"relay did not reach {head} (at {published_position(database_url)})"
    raise AssertionError(msg)


def stored_history(store: EventStore) -> list[Any]:
    notifications: list[Any] = []
    start = 0
    while True:
        page = store.recorder.select_notifications(start, 5000, inclusive_of_start=False)
        if not page:
            return notifications
        notifications.extend(page)
        start = page[-1].id


def assert_topics_hold_the_history(store: EventStore, messages: list[ConsumedMessage]) -> None:
    """Every stored event is on its topic (duplicates allowed: at least once); every message
    validates against its JSON Schema; per aggregate, versions arrive in order, no gaps."""
    history = stored_history(store)
    by_position = {m.envelope["position"]: m for m in messages}
    missing = [n.id for n in history if n.id not in by_position]
    assert not missing, f"{len(missing)} stored events never reached Kafka, e.g. {missing[:5]}"
    validators = {t.TOPIC: jsonschema.Draft202012Validator(load_schema(t)) for t in event_types()}
    for m in messages:
        envelope = m.envelope
        validators[envelope["type"]].validate(envelope)
        assert m.key.decode() == envelope["aggregate_id"]
        assert m.headers["event-type"].decode() == envelope["type"]
        metadata = envelope["metadata"]
        assert m.headers["traceparent"].decode() == traceparent(
            UUID(metadata["correlation_id"]), UUID(metadata["causation_id"])
        )
    stored = {n.id: (str(n.originator_id), n.originator_version) for n in history}
    for m in messages:
        assert stored[m.envelope["position"]] == (
            m.envelope["aggregate_id"],
            m.envelope["aggregate_version"],
        )
    # Per aggregate, in topic order: each new version is the next one (a redelivered older
    # version is a duplicate a consumer skips; a jump would be a gap).
    per_partition: dict[tuple[str, int], list[ConsumedMessage]] = defaultdict(list)
    for m in messages:
        per_partition[(m.topic, m.partition)].append(m)
    for stream in per_partition.values():
        seen: dict[str, int] = {}
        for m in sorted(stream, key=lambda x: x.offset):
            aggregate = m.envelope["aggregate_id"]
            version = m.envelope["aggregate_version"]
            last = seen.get(aggregate, 0)
            assert version <= last + 1, f"gap in {aggregate}: {last} then {version}"
            seen[aggregate] = max(last, version)
