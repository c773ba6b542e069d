"""`verachain bench api`, small: the API in its own process with the relay and a worker
behind it; the figures it reports are counted from real answers (no timing is asserted)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from infra.bench.api_bench import TARGETS, ApiBenchConfig, run_api_bench
from infra.bench.environment import bench_database
from infra.settings import Settings
from tests.support.database import TestDatabase
from tests.support.kafka import KafkaTarget

CONFIG = ApiBenchConfig(
    clients=4,
    seconds=1.0,
    ceiling_seconds=0.5,
    query_auctions=3,
    bids_per_auction=12,
    fanout=(10, 30),
    tune_gc=False,
)


@pytest.mark.slow
@pytest.mark.timeout(120)
async def test_the_api_bench_counts_real_answers_and_every_subscriber_gets_the_bid(
    test_database: TestDatabase, kafka: KafkaTarget, redis_url: str, tmp_path: Path
) -> None:
    phases: set[str] = set()

    def progress(phase: str, _done: float, _total: float) -> None:
        phases.add(phase)

    server = Settings(database_url=test_database.url, data_dir=tmp_path)
    with bench_database(server) as (database, _):
        settings = database.with_kafka(kafka.bootstrap, embedded=kafka.embedded).with_redis(
            redis_url
        )
        summary = await run_api_bench(settings, CONFIG, progress)

    assert phases == {"seed", "ceiling", "query", "placeBid", "fanout", "fanout_ceiling"}
    ceiling, query, bids = summary["client_ceiling_health"], summary["query"], summary["place_bid"]
    assert ceiling["ok"] > 0
    assert ceiling["errors"] == {}
    # Every query answered without errors, and the sampled answers hold the seeded bids.
    assert query["ok"] > 0
    assert query["errors"] == {}
    assert query["answers_checked"] > 0
    assert query["per_s"] > 0
    assert 0 < query["p50_ms"] <= query["p99_ms"] <= query["max_ms"]
    # Each client bids on its own auction with increasing amounts: all accepted.
    assert bids["ok"] > 0
    assert bids["errors"] == {}
    assert {"api", "worker", "bench", "machine"} <= set(bids["cpu_percent"])
    assert bids["cpu_percent"]["api"] > 0

    levels: list[dict[str, Any]] = summary["fanout"]["levels"]
    assert [level["subscribers"] for level in levels] == [10, 30]
    positions = set()
    for level in levels:
        assert level["connected"] == level["subscribers"]
        assert level["connect_failures"] == {}
        assert level["received_update"] == level["connected"]
        assert level["missing_update"] == 0
        assert 0 < level["from_ack"]["p50_ms"] <= level["from_ack"]["max_ms"]
        assert level["server_rss_kib_before"] > 0
        assert level["server_rss_kib_idle"] > 0
        positions.add(level["position"])
    assert len(positions) == len(levels)  # one bid per level
    # The same client against a minimal broadcasting server: every subscriber got it too.
    ceiling = summary["fanout"]["client_ceiling"]
    assert ceiling["connected"] == ceiling["received_update"] == 30
    assert ceiling["update_bytes"] > 0

    assert summary["targets"] == TARGETS
    assert set(summary["met"]) == set(TARGETS)
    assert summary["all_met"] == all(summary["met"].values())
