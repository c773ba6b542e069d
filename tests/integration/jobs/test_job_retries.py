"""Jobs on a real broker, run by real Faust agents in a worker process: retries with
backoff, dead letters, `jobs status` and `jobs retry-dead`."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import psycopg
from aiokafka.admin import AIOKafkaAdminClient

from infra.job_admin import job_status
from infra.kafka_admin import ensure_topics
from infra.settings import Settings
from streams.jobs.job import decode_job
from streams.jobs.job_queue import JobQueue
from streams.jobs.job_topics import dead_topic
from streams.topics import job_topic_specs
from tests.integration.jobs.conftest import eventually, job_env
from tests.support.database import TestDatabase
from tests.support.job_worker import BROKEN, FLAKY
from tests.support.kafka import KafkaTarget, read_all

Spawn = Callable[[list[str], dict[str, str]], None]


async def create_kind_topics(bootstrap: str, kinds: list[str]) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await ensure_topics(admin, job_topic_specs(kinds, 3))
    finally:
        await admin.close()


def runs(url: str, job_id: str) -> list[tuple[int, bool]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT attempt, ok FROM test_jobs_runs WHERE job_id = %s ORDER BY attempt",
            (job_id,),
        ).fetchall()
    return [(int(r[0]), bool(r[1])) for r in rows]


def effects(url: str, job_id: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM test_jobs_effects WHERE job_id = %s", (job_id,)
        ).fetchone()
    return int(row[0]) if row else 0


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "infra.cli", "jobs", *args],
        env={**env, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_failing_jobs_retry_then_succeed_or_go_dead_and_come_back(
    test_database: TestDatabase,
    kafka: KafkaTarget,
    group: str,
    job_tables: None,
    spawn: Spawn,
    tmp_path: Path,
) -> None:
    url = test_database.url
    await create_kind_topics(kafka.bootstrap, [FLAKY, BROKEN])
    env = job_env(test_database, kafka, group, tmp_path)
    spawn(["tests.support.job_worker"], env)
    settings = Settings.from_env(env)
    async with JobQueue(settings) as queue:
        flaky = await queue.enqueue(FLAKY, {"fail_times": 2})
        broken = await queue.enqueue(BROKEN, {})

    # Fails twice, succeeds on the third attempt; its effect happens once.
    async def flaky_done() -> list[tuple[int, bool]] | None:
        found = await asyncio.to_thread(runs, url, flaky.job_id)
        return found if any(ok for _, ok in found) else None

    assert await eventually(flaky_done, "the flaky job") == [(1, False), (2, False), (3, True)]
    assert await asyncio.to_thread(effects, url, flaky.job_id) == 1

    # Always fails: dead after the maximum of 3 attempts, with its last error.
    dead = await read_all(kafka.bootstrap, [dead_topic(BROKEN)], expect_at_least=1)
    assert len(dead) == 1
    letter = decode_job(_raw(dead[0].envelope))
    assert (letter.job_id, letter.attempt) == (broken.job_id, 3)
    assert letter.last_error == "Broken: the broken handler always fails"
    assert [ok for _, ok in await asyncio.to_thread(runs, url, broken.job_id)] == [False] * 3

    (status,) = await job_status(settings, [BROKEN])
    assert (status.depth, status.retries_waiting, status.dead_waiting) == (0, 0, 1)
    shown = await asyncio.to_thread(cli, env, "status", "--kind", BROKEN, "--kind", FLAKY)
    assert shown.returncode == 0, shown.stderr
    broken_line = next(line for line in shown.stdout.splitlines() if BROKEN in line)
    cells = [cell.strip() for cell in broken_line.split("│")[2:7]]
    # run by, depth, retries, dead, dead all time
    assert cells == [env["VERACHAIN_WORKER_GROUP"], "0", "0", "1", "1"], broken_line

    # Fix the handler, re-queue: it completes; the dead letter is no longer waiting.
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO test_jobs_fixed (job_id) VALUES (%s)", (broken.job_id,))
    requeued = await asyncio.to_thread(cli, env, "retry-dead", BROKEN)
    assert requeued.returncode == 0, requeued.stderr
    assert "re-queued 1 dead test-broken job(s)" in requeued.stdout

    async def broken_fixed() -> bool | None:
        return True if await asyncio.to_thread(effects, url, broken.job_id) else None

    await eventually(broken_fixed, "the re-queued job")
    # Three failed attempts, then one fresh first attempt that succeeded.
    assert sorted(await asyncio.to_thread(runs, url, broken.job_id)) == [
        (1, False),
        (1, True),
        (2, False),
        (3, False),
    ]
    again = await asyncio.to_thread(cli, env, "retry-dead", BROKEN)
    assert "re-queued 0 dead" in again.stdout  # already re-queued: not sent twice
    (status,) = await job_status(settings, [BROKEN])
    assert (status.dead_waiting, status.dead_total) == (0, 1)


async def test_jobs_cli_refuses_an_unknown_kind_in_one_line(
    kafka: KafkaTarget, test_database: TestDatabase, group: str, tmp_path: Path
) -> None:
    env = job_env(test_database, kafka, group, tmp_path)
    for args in (["retry-dead", "no-such-kind"], ["status", "--kind", "no-such-kind"]):
        result = await asyncio.to_thread(cli, env, *args)
        assert result.returncode == 2, result
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert "verachain.jobs.no-such-kind" in result.stderr


def _raw(envelope: object) -> bytes:
    import json

    return json.dumps(envelope).encode()
