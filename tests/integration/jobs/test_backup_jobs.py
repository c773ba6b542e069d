"""The `backup` kind through `verachain worker`: jobs for three slots leave the newest
VERACHAIN_BACKUP_KEEP (2) complete backups under the data directory and nothing half-written;
a redelivered job leaves its backup untouched; `verachain restore` loads one into an empty
database and verifies it against the signed checkpoint it carries."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from psycopg import AsyncConnection, sql
from psycopg_pool import AsyncConnectionPool

from infra.audit_runner import checkpoint_signer
from infra.backup_format import MANIFEST_FILE
from infra.bootstrap import build_bus, build_event_store
from infra.cli.topics_command import create_topics
from infra.job_admin import job_status
from infra.settings import Settings
from streams.audit_log import AuditConfig, AuditLog
from streams.audit_schema import ensure_audit_schema
from streams.audit_store import AuditStore
from streams.backups.backup_directory import backups_root, complete_backups, slot_name
from streams.jobs.job_queue import JobQueue
from streams.jobs.job_topics import BACKUP
from streams.schedules.entries import backup_job
from tests.e2e.test_cli import cli_env, run_cli
from tests.integration.jobs.conftest import eventually, job_env
from tests.integration.rebuild.support import traffic
from tests.support.database import TestDatabase
from tests.support.kafka import KafkaTarget

Spawn = Callable[[list[str], dict[str, str]], None]
Pool = AsyncConnectionPool[AsyncConnection[Any]]
AWAY = "verachain_events_away"
SLOTS = [datetime(2026, 11, day, 2, 0, tzinfo=UTC) for day in (24, 25, 26)]


@dataclass(frozen=True)
class Source:
    events: int
    last_id: int
    checkpoint_size: int


async def _no_wait(seconds: float) -> None:
    return None


async def history_with_a_checkpoint(settings: Settings) -> Source:
    """Bids through the bus, signed by the audit log with the installation's key (in the
    data directory the worker shares), then more bids after the checkpoint."""
    assert settings.database_url is not None
    store = build_event_store(settings)
    try:
        async with (
            build_bus(settings, store) as bus,
            AsyncConnectionPool(settings.database_url, min_size=1, max_size=3) as pool,
        ):
            await ensure_audit_schema(pool)
            audit_log = AuditLog(
                settings,
                store,
                pool,
                checkpoint_signer(settings),
                wait=_no_wait,
                config=AuditConfig(checkpoint_interval_s=0),
            )
            await audit_log.resume()
            bidding = await traffic(bus, auctions=2, rounds=2)
            await audit_log.step()
            checkpoint = await AuditStore(pool).latest_checkpoint()
            await bidding.rounds(bus, 1)
    finally:
        store.close()
    assert checkpoint is not None
    with psycopg.connect(settings.database_url) as conn:
        row = conn.execute("SELECT count(*), max(notification_id) FROM verachain_events").fetchone()
    assert row is not None
    return Source(int(row[0]), int(row[1]), checkpoint.tree_size)


def hh_mm_in_12_hours() -> str:
    """A schedule time far from now: the worker's own scheduler fires nothing meanwhile."""
    return (datetime.now(UTC) + timedelta(hours=12)).strftime("%H:%M")


def rename_events(url: str, name: str, to: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("ALTER TABLE {} RENAME TO {}").format(*map(sql.Identifier, (name, to)))
        )


def listing(root: Path) -> set[str]:
    return {child.name for child in root.iterdir()}


async def test_backup_jobs_keep_the_newest_and_restore_verifies(
    source_database: TestDatabase,
    target_database: TestDatabase,
    kafka: KafkaTarget,
    redis_url: str,
    group: str,
    spawn: Spawn,
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    settings = source_database.settings(data_dir=data_dir)
    source = await history_with_a_checkpoint(settings)
    await create_topics(kafka.bootstrap, 3)
    env = job_env(
        source_database,
        kafka,
        group,
        data_dir,
        VERACHAIN_REDIS_URL=redis_url,
        VERACHAIN_BACKUP_KEEP="2",
        VERACHAIN_BACKUP_AT=hh_mm_in_12_hours(),
        VERACHAIN_REPORT_AT=hh_mm_in_12_hours(),
    )
    spawn(["infra.cli", "worker"], env)
    worker_settings = Settings.from_env(env)
    root = backups_root(worker_settings)
    names = [slot_name(slot) for slot in SLOTS]
    jobs = [backup_job(slot) for slot in SLOTS]

    async def drained() -> bool | None:
        (status,) = await job_status(worker_settings, [BACKUP])
        return (
            True if (status.depth, status.retries_waiting, status.dead_total) == (0, 0, 0) else None
        )

    async with JobQueue(worker_settings) as queue:
        for job in jobs:
            await queue.enqueue(job.kind, job.payload, job_id=job.job_id)

        async def kept() -> list[str] | None:
            found = complete_backups(root)
            return found if found == names[:0:-1] else None

        # Whatever order the partitions ran them in, the oldest is gone (written then
        # pruned, or skipped as too old) and nothing half-written is left.
        await eventually(kept, "the two newest backups")
        await eventually(drained, "every backup job to be taken")
        assert listing(root) == set(names[1:])

        newest = root / names[-1]
        before = (os.stat(newest).st_ino, (newest / MANIFEST_FILE).read_text())
        # The store moved away meanwhile: a handler that backed up again would fail, retry
        # and end in dead letters. The job is acknowledged by the broker, so it counts in
        # the depth until the worker ran it (its offset is committed after the handler).
        await asyncio.to_thread(rename_events, source_database.url, "verachain_events", AWAY)
        try:
            await queue.enqueue(jobs[-1].kind, jobs[-1].payload, job_id=jobs[-1].job_id)
            await eventually(drained, "the redelivered job to be run")
        finally:
            await asyncio.to_thread(rename_events, source_database.url, AWAY, "verachain_events")
    assert (os.stat(newest).st_ino, (newest / MANIFEST_FILE).read_text()) == before
    assert listing(root) == set(names[1:])

    target_env = {**cli_env(target_database, tmp_path), "VERACHAIN_DATA_DIR": str(data_dir)}
    restored = await asyncio.to_thread(
        run_cli, "restore", str(newest), "-q", env=target_env, cwd=tmp_path
    )
    assert restored.returncode == 0, restored.stderr
    assert restored.stdout.splitlines() == [
        f"restore: {source.events} events restored (ids up to {source.last_id})",
        f"restore: OK: the root of the first {source.checkpoint_size} events is the signed "
        "checkpoint's (key from the backup's log-key.vkey)",
    ]
