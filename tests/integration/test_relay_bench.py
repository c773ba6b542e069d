"""`verachain bench relay`, small: it seeds real domain events into a database of its own,
and the relay it measures publishes every one of them (no timing is asserted)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from infra.bench.environment import bench_database
from infra.bench.relay_bench import run_relay_bench
from infra.bootstrap import build_event_store
from infra.settings import Settings
from streams.topics import event_topics
from tests.support.database import TestDatabase
from tests.support.kafka import KafkaTarget, read_all
from tests.support.relay_checks import assert_topics_hold_the_history

EVENTS = 2000


async def test_the_relay_bench_publishes_every_event_it_seeded(
    test_database: TestDatabase, kafka: KafkaTarget, tmp_path: Path
) -> None:
    progress: Counter[str] = Counter()

    def seen(phase: str, done: int) -> None:
        progress[phase] = max(progress[phase], done)

    server = Settings(database_url=test_database.url, data_dir=tmp_path)
    with bench_database(server) as (database, _):
        settings = database.with_kafka(kafka.bootstrap, embedded=kafka.embedded)
        summary = await run_relay_bench(settings, EVENTS, seen)
        store = build_event_store(settings)
        try:
            messages = await read_all(kafka.bootstrap, event_topics(), expect_at_least=EVENTS)
            assert_topics_hold_the_history(store, messages)
        finally:
            store.close()
    assert summary["events"] == EVENTS
    assert summary["relay"]["published"] == EVENTS
    assert summary["relay"]["position"] == EVENTS
    assert summary["raw_producer"]["messages"] == EVENTS
    assert dict(progress) == {"seed": EVENTS, "raw": EVENTS, "relay": EVENTS}
    kinds = Counter(m.envelope["type"] for m in messages)
    auctions = EVENTS // 200
    assert kinds["ProductRegistered"] == kinds["CertificateIssued"] == auctions
    assert kinds["AuctionOpened"] == auctions
    assert kinds["BidPlaced"] == EVENTS - sum(n for k, n in kinds.items() if k != "BidPlaced")
    assert set(summary) >= {
        "benchmark",
        "events",
        "relay_events_per_s",
        "raw_producer_events_per_s",
        "ratio",
        "target_events_per_s",
        "met",
    }
