"""Report jobs that can never succeed (an unknown or still open auction, a malformed day, a
day not over, an unknown report) go to dead letters on their first attempt with an error
that names the reason, and nothing is written; the CLI refuses the same requests in one
line with exit code 2 and enqueues nothing."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from commands.bus import CommandBus
from infra.cli.topics_command import create_topics
from infra.scenario import open_auctions
from streams.jobs.job import decode_job
from streams.jobs.job_queue import JobQueue
from streams.jobs.job_topics import REPORT, dead_topic, job_topic
from tests.integration.reports.conftest import index_rows, start_worker, stop_worker
from tests.support.database import TestDatabase
from tests.support.kafka import KafkaTarget, read_all


async def test_bad_report_requests_are_dead_at_once_and_write_nothing(
    test_database: TestDatabase,
    bus: CommandBus,
    kafka: KafkaTarget,
    redis_url: str,
    tmp_path: Path,
) -> None:
    (still_open,) = await open_auctions(bus, 1, now=datetime.now(UTC), duration=timedelta(hours=1))
    unknown = uuid.uuid4()
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    refused: dict[str, tuple[dict[str, Any], str]] = {
        f"report-auction-{unknown}": (
            {"report": "auction", "auction_id": str(unknown)},
            f"AuctionNotFound: no auction {unknown}",
        ),
        f"report-auction-{still_open.auction_id}": (
            {"report": "auction", "auction_id": str(still_open.auction_id)},
            f"AuctionNotEnded: auction {still_open.auction_id} is still open",
        ),
        "report-daily-2026-02-30": (
            {"report": "daily", "day": "2026-02-30"},
            "InvalidReportRequest: day '2026-02-30' is not a calendar date",
        ),
        f"report-daily-{tomorrow}": (
            {"report": "daily", "day": tomorrow},
            f"DayNotOver: day {tomorrow} is not over",
        ),
        "report-weekly": (
            {"report": "weekly"},
            "InvalidReportRequest: report must be one of auction, daily, got 'weekly'",
        ),
    }
    await create_topics(kafka.bootstrap, 3)
    settings = test_database.settings(redis_url=redis_url, data_dir=tmp_path).with_kafka(
        kafka.bootstrap, embedded=kafka.embedded
    )
    stack = start_worker(settings, tmp_path)
    try:
        # The CLI refuses each of them before enqueueing anything.
        for args, says in (
            (["--auction", str(unknown)], f"no auction {unknown}"),
            (["--auction", str(still_open.auction_id)], "is still open"),
            (["--day", tomorrow], f"day {tomorrow} is not over"),
            (["--day", "2026-02-30"], "is not a calendar date"),
            (["--auction", "x"], "auction_id must be a UUID, got 'x'"),
            ([], "give exactly one of --auction ID or --day YYYY-MM-DD"),
        ):
            done = await asyncio.to_thread(stack.cli, "run", *args)
            assert done.returncode == 2, (args, done)
            assert len(done.stderr.strip().splitlines()) == 1, done.stderr
            assert says in done.stderr, done.stderr

        async with JobQueue(stack.settings) as queue:
            for job_id, (payload, _) in refused.items():
                await queue.enqueue(REPORT, payload, job_id=job_id)
        letters = await read_all(kafka.bootstrap, [dead_topic(REPORT)], expect_at_least=5)
        dead = [decode_job(json.dumps(letter.envelope).encode()) for letter in letters]
        assert sorted(job.job_id for job in dead) == sorted(refused), stack.log_tail()
        for job in dead:
            assert job.attempt == 1, job  # never retried
            assert job.last_error is not None
            assert job.last_error.startswith(refused[job.job_id][1]), job.last_error
    finally:
        stop_worker(stack)
    # Nothing written: no file, no index row; and the CLI enqueued nothing.
    assert not [path for path in (tmp_path / "reports").rglob("*") if path.is_file()]
    assert await asyncio.to_thread(index_rows, test_database.url, *refused) == []
    queued = await read_all(kafka.bootstrap, [job_topic(REPORT)], expect_at_least=5)
    assert len(queued) == len(refused)
