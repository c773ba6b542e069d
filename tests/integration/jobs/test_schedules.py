"""The scheduler on real PostgreSQL and a real broker, with an injected clock: a slot fires
once when two schedulers tick at the same moment, when a scheduler restarts, and when one
crashes between the broker's ack and the record (the same job id again, recorded once);
after downtime only the latest missed slot fires. `verachain jobs schedule` shows it all."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import psycopg
import pytest
from aiokafka.admin import AIOKafkaAdminClient

from infra.kafka_admin import ensure_topics
from infra.settings import Settings
from streams.backups.backup_directory import slot_name
from streams.jobs.job import iso
from streams.jobs.job_topics import BACKUP, REPORT, job_topic
from streams.schedules.daily import DAY, Daily
from streams.schedules.entries import JobSpec, ScheduledJob, scheduled_jobs
from streams.schedules.scheduler import RETRY_AFTER, Fired, open_scheduler
from streams.topics import job_topic_specs
from tests.e2e.test_cli import cli_env, run_cli
from tests.support.database import TestDatabase, provision_test_database
from tests.support.kafka import KafkaTarget, read_all

KIND = "test-scheduled"
AT = time(2, 0)


@dataclass
class FakeClock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


class CrashAfterAck(RuntimeError):
    """Stands for a scheduler dying after the broker acknowledged the job."""


def own_entry() -> ScheduledJob:
    """A daily entry of this test's own (the session's database is shared)."""
    name = f"test-entry-{uuid.uuid4().hex[:8]}"

    def job_for(slot: datetime) -> JobSpec:
        return JobSpec(KIND, f"{name}-{slot_name(slot)}", {"slot": iso(slot)})

    return ScheduledJob(name, Daily(AT), "test job", job_for)


async def create_job_topics(bootstrap: str, kinds: list[str]) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await ensure_topics(admin, job_topic_specs(kinds, 3))
    finally:
        await admin.close()


async def job_ids(bootstrap: str, kind: str, count: int) -> list[str]:
    messages = await read_all(bootstrap, [job_topic(kind)], expect_at_least=count)
    return sorted(str(m.envelope["job_id"]) for m in messages)


def recorded(url: str, entry: str) -> list[tuple[datetime, str]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT slot, job_id FROM verachain_schedule_runs WHERE entry = %s ORDER BY slot",
            (entry,),
        ).fetchall()
    return [(row[0], str(row[1])) for row in rows]


def stream_settings(database: TestDatabase, kafka: KafkaTarget) -> Settings:
    return database.settings().with_kafka(kafka.bootstrap, embedded=kafka.embedded)


async def test_a_slot_fires_once_across_concurrent_and_restarted_schedulers(
    test_database: TestDatabase, kafka: KafkaTarget
) -> None:
    await create_job_topics(kafka.bootstrap, [KIND])
    settings = stream_settings(test_database, kafka)
    entry = own_entry()
    clock = FakeClock(datetime(2031, 3, 4, 12, 0, tzinfo=UTC))
    day5 = datetime(2031, 3, 5, 2, 0, tzinfo=UTC)
    async with (
        open_scheduler(settings, [entry], clock) as first,
        open_scheduler(settings, [entry], clock) as second,
    ):
        # First seen after the 4th's slot: armed, nothing fires.
        assert list(await asyncio.gather(first.tick(), second.tick())) == [[], []]
        clock.now = day5 + timedelta(seconds=1)
        fired = await asyncio.gather(first.tick(), second.tick())
    assert sorted(fired, key=len) == [[], [Fired(entry.name, day5, entry.job_for(day5).job_id)]]
    assert await job_ids(kafka.bootstrap, KIND, 1) == [entry.job_for(day5).job_id]

    # Restarted (a new process, nothing in memory) later the same day: nothing to fire.
    clock.now = day5 + timedelta(hours=6)
    async with open_scheduler(settings, [entry], clock) as restarted:
        assert await restarted.tick() == []

        # Down from the 5th until the 8th, 03:00: only the 8th's slot fires, once.
        day8 = day5 + 3 * DAY
        clock.now = day8 + timedelta(hours=1)
        assert await restarted.tick() == [Fired(entry.name, day8, entry.job_for(day8).job_id)]
        assert await restarted.tick() == []
    assert recorded(test_database.url, entry.name) == [
        (day5, entry.job_for(day5).job_id),
        (day8, entry.job_for(day8).job_id),
    ]
    expected = sorted(entry.job_for(slot).job_id for slot in (day5, day8))
    assert await job_ids(kafka.bootstrap, KIND, 2) == expected


async def test_a_crash_between_the_ack_and_the_record_enqueues_the_same_job_again(
    test_database: TestDatabase, kafka: KafkaTarget
) -> None:
    await create_job_topics(kafka.bootstrap, [KIND])
    settings = stream_settings(test_database, kafka)
    entry = own_entry()
    clock = FakeClock(datetime(2031, 6, 1, 12, 0, tzinfo=UTC))
    slot = datetime(2031, 6, 2, 2, 0, tzinfo=UTC)
    async with open_scheduler(settings, [entry], clock) as scheduler:
        assert await scheduler.tick() == []  # armed
        enqueue = scheduler.enqueue

        async def enqueue_then_crash(job: JobSpec) -> None:
            await enqueue(job)
            raise CrashAfterAck("gone before the record committed")

        scheduler.enqueue = enqueue_then_crash
        clock.now = slot + timedelta(seconds=1)
        assert await scheduler.tick() == []  # enqueued, not recorded
        assert recorded(test_database.url, entry.name) == []
        scheduler.enqueue = enqueue
        clock.now += RETRY_AFTER / 2
        assert await scheduler.tick() == []  # failed entries wait before trying again
        clock.now += RETRY_AFTER
        assert await scheduler.tick() == [Fired(entry.name, slot, entry.job_for(slot).job_id)]
    assert recorded(test_database.url, entry.name) == [(slot, entry.job_for(slot).job_id)]
    # The same job id twice: its handler's idempotency makes the copy harmless.
    assert await job_ids(kafka.bootstrap, KIND, 2) == [entry.job_for(slot).job_id] * 2


@pytest.fixture
def fresh_database(tmp_path: Path) -> Iterator[TestDatabase]:
    """The deployment's own entries are recorded by name: a database of this test's own."""
    database = provision_test_database(tmp_path / "embedded-pg")
    try:
        yield database
    finally:
        database.drop()


async def test_jobs_schedule_lists_every_schedule_with_its_last_and_next_slot(
    fresh_database: TestDatabase, kafka: KafkaTarget, tmp_path: Path
) -> None:
    await create_job_topics(kafka.bootstrap, [BACKUP, REPORT])
    settings = stream_settings(fresh_database, kafka)
    now = datetime.now(UTC)
    clock = FakeClock(now - 3 * DAY)
    async with open_scheduler(settings, clock=clock) as scheduler:
        assert await scheduler.tick() == []  # armed three days ago
        clock.now = now
        fired = {f.entry: f for f in await scheduler.tick()}
    backup, report = scheduled_jobs(settings)
    assert set(fired) == {"nightly-backup", "daily-report"}
    backup_slot, report_slot = (entry.timing.latest_due(now) for entry in (backup, report))
    assert fired["nightly-backup"].job_id == f"backup-{slot_name(backup_slot)}"
    day = (report_slot - DAY).date().isoformat()
    assert fired["daily-report"].job_id == f"report-daily-{day}"

    env = {**cli_env(fresh_database, tmp_path), "COLUMNS": "250"}
    shown = await asyncio.to_thread(run_cli, "jobs", "schedule", env=env, cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    rows = {
        cells[0]: cells[1:]
        for line in shown.stdout.splitlines()
        if len(cells := [cell.strip() for cell in line.split("│")[1:-1]]) == 7
    }

    def utc(moment: datetime) -> str:
        return moment.strftime("%Y-%m-%d %H:%M UTC")

    assert rows["nightly-backup"] == [
        "daily at 02:00 UTC",
        "worker (group leader)",
        "backup job",
        utc(backup_slot),
        f"backup-{slot_name(backup_slot)}",
        utc(backup_slot + DAY),
    ]
    assert rows["daily-report"][3:] == [
        utc(report_slot),
        f"report-daily-{day}",
        utc(report_slot + DAY),
    ]
    assert rows["auction-timer"][:2] == ["every 0.5 s", "worker (group leader)"]
    assert rows["audit-checkpoint"][:2] == ["every 1 s", "relay"]
    assert rows["audit-checkpoint"][3:] == ["(not recorded)", "-", "continuously"]
