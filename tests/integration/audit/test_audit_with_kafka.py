"""The audit log as it runs in production: inside the relay process (run_relay), woken by the
store's commits, signing at most every 0.2 s here, publishing to a real broker while bids
come in. Once everything is published and signed: `audit verify` from the Kafka topics
alone holds; verachain.audit.checkpoints carries exactly the stored checkpoints, in order,
each note opening with the log's key; and the delay from a bid's commit to the first
checkpoint covering it is measured (and bounded loosely)."""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from datetime import datetime
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from commands.bus import CommandBus
from commands.store import EventStore
from infra.audit_runner import checkpoint_message, checkpoint_signer
from infra.audit_tools import verify
from infra.relay_runner import run_relay
from infra.settings import Settings
from projections.checkpoint import parse_checkpoint
from projections.signed_note import open_note, parse_verifier_key
from streams.audit_store import AuditStore
from streams.history_reader import history_batches
from streams.topics import AUDIT_CHECKPOINTS
from tests.integration.audit.conftest import Pool
from tests.integration.rebuild.support import traffic
from tests.support.database import TestDatabase
from tests.support.kafka import KafkaTarget, read_all
from tests.support.relay_checks import published_position

INTERVAL_S = 0.2
PACED_BIDS = 40
PACE_S = 0.05  # 20 bids/s, so that most land between two signatures
MAX_DELAY_S = 5.0  # loose: the interval plus a wake-up, on a shared two-core machine


@pytest.fixture
def relay_settings(own_database: TestDatabase, kafka: KafkaTarget, tmp_path: Path) -> Settings:
    return own_database.settings(
        relay_metrics_port=0,
        audit_checkpoint_interval_s=INTERVAL_S,
        data_dir=tmp_path / "data",
    ).with_kafka(kafka.bootstrap, embedded=kafka.embedded)


async def _signed_and_published(
    settings: Settings, pool: Pool, store: EventStore, timeout_s: float = 30.0
) -> int:
    """Wait until the relay published the whole store, a checkpoint covers every event and
    every checkpoint went out; the store's event count."""
    audit = AuditStore(pool)
    deadline = time.monotonic() + timeout_s
    state = ""
    while time.monotonic() < deadline:
        head = await asyncio.to_thread(store.head_position)
        async with pool.connection() as conn:
            cursor = await conn.execute("SELECT count(*) FROM verachain_events")
            row = await cursor.fetchone()
        events = int(row[0]) if row else 0
        latest = await audit.latest_checkpoint()
        unpublished = await audit.unpublished()
        published = await asyncio.to_thread(published_position, settings.database_url or "")
        state = f"{events} events (head {head}), published to {published}, "
        state += f"checkpoint {latest.tree_size if latest else None}, {len(unpublished)} unsent"
        if published >= head and latest and latest.tree_size == events and not unpublished:
            return events
        await asyncio.sleep(0.05)
    raise AssertionError(f"not signed and published in {timeout_s}s: {state}")


async def _first_checkpoint(pool: Pool, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        async with pool.connection() as conn:
            cursor = await conn.execute("SELECT to_regclass('verachain_audit_checkpoints')")
            exists = await cursor.fetchone()
        if exists and exists[0] and await AuditStore(pool).latest_checkpoint():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"no checkpoint signed in {timeout_s}s")


async def test_checkpoints_go_to_kafka_in_order_and_the_topics_verify(
    relay_settings: Settings, store: EventStore, bus: CommandBus, pool: Pool, kafka: KafkaTarget
) -> None:
    stop = asyncio.Event()
    relay = asyncio.create_task(run_relay(relay_settings, stop, CollectorRegistry()))
    try:
        bidding = await traffic(bus, auctions=3, rounds=1)  # while the relay starts
        await _first_checkpoint(pool)
        # Steady state: bids at a fixed pace, each one's position noted.
        paced: list[int] = []
        for i in range(PACED_BIDS):
            paced.append(await bidding.bid(bus, bidding.auctions[i % len(bidding.auctions)]))
            await asyncio.sleep(PACE_S)
        events = await _signed_and_published(relay_settings, pool, store)
    finally:
        stop.set()
        await relay

    audit = AuditStore(pool)
    stored = await audit.checkpoints()
    assert len(stored) >= 3  # signed repeatedly while bids came in
    assert [c.tree_size for c in stored] == sorted({c.tree_size for c in stored})
    assert stored[-1].tree_size == events

    # The history as analysts see it, from the topics alone, against the signed log.
    signer = checkpoint_signer(relay_settings)  # the key the relay created in the data dir
    key = parse_verifier_key(signer.verifier_key)
    report = await verify(relay_settings, key, from_kafka=True)
    assert report.problems == []
    assert (report.leaves, report.checkpoints) == (events, len(stored))

    # The checkpoint topic: exactly the stored checkpoints, in order, each note signed.
    messages = await read_all(kafka.bootstrap, [AUDIT_CHECKPOINTS], expect_at_least=len(stored))
    assert {m.partition for m in messages} == {0}
    received = [m.envelope for m in sorted(messages, key=lambda m: m.offset)]
    origin = relay_settings.audit_origin
    assert received == [json.loads(checkpoint_message(c, origin)) for c in stored]
    for message in received:
        assert message["origin"] == origin
        signed = parse_checkpoint(open_note(str(message["note"]), key))
        assert (signed.origin, signed.size) == (origin, message["tree_size"])
        assert signed.root == next(c.root for c in stored if c.tree_size == signed.size)

    # Commit -> covering checkpoint, for the paced bids. The event's occurred_at is taken
    # before its commit and signed_at (PostgreSQL's now() at the checkpoint's insert) after
    # its signature: the figure errs on the long side.
    occurred = {
        int(e["position"]): datetime.fromisoformat(str(e["occurred_at"]))
        for batch in history_batches(store)
        for e in batch
    }
    leaves = await audit.leaf_indexes(paced)
    delays: list[float] = []
    for position in paced:
        covering = await audit.checkpoint_covering(leaves[position] + 1)
        assert covering is not None
        delays.append((covering.signed_at - occurred[position]).total_seconds())
    delays.sort()
    p50, p99 = statistics.median(delays), delays[int(0.99 * (len(delays) - 1))]
    print(  # the measurement, shown with -s
        f"commit -> covering checkpoint (interval {INTERVAL_S}s, {len(delays)} bids): "
        f"min {delays[0]:.3f}s p50 {p50:.3f}s p99 {p99:.3f}s max {delays[-1]:.3f}s"
    )
    assert delays[0] > 0
    assert delays[-1] < MAX_DELAY_S
