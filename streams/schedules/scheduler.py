"""Fires the scheduled jobs (streams/schedules/entries.py) at their slots: run by a Faust task
on every worker, it acts only while its worker leads the consumer group (like the auction
timer), so one scheduler works however many workers run.

Exactly-once-ish: per entry, in one transaction holding the entry's row lock, the due slot is
checked against what was fired, the job is enqueued (with an id derived from the slot) and
acknowledged by the broker, then the slot is recorded. A crash between the ack and the
commit enqueues the same job id again on the next tick, which the job's handler dedupes;
two schedulers take turns on the lock, and the second finds the slot recorded."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from psycopg import AsyncConnection

from infra.bootstrap import NotConfigured
from infra.settings import Settings
from streams.jobs.job_queue import JobQueue
from streams.schedules.daily import slot_to_fire
from streams.schedules.entries import JobSpec, ScheduledJob, scheduled_jobs
from streams.schedules.schedule_runs import ensure_schema, lock_entry, record_run

log = logging.getLogger(__name__)

TICK_S = 1.0
# After a failed attempt (broker or database away, a kind's topics missing) an entry waits
# this long before the next, instead of logging a failure every tick.
RETRY_AFTER = timedelta(seconds=30)

Enqueue = Callable[[JobSpec], Awaitable[None]]
Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class Fired:
    entry: str
    slot: datetime
    job_id: str


class Scheduler:
    def __init__(
        self,
        database_url: str,
        enqueue: Enqueue,
        entries: Sequence[ScheduledJob],
        clock: Clock = lambda: datetime.now(UTC),
    ) -> None:
        self.database_url = database_url
        self.enqueue = enqueue
        self.entries = list(entries)
        self.clock = clock
        # The latest-due slot each entry was last settled for (fired, found fired, or not to
        # fire): until the next slot comes due, a tick needs no database round trip.
        self._settled: dict[str, datetime] = {}
        self._retry_at: dict[str, datetime] = {}
        self._schema_ready = False

    async def tick(self) -> list[Fired]:
        """Fire every entry whose slot is due and not yet fired; return what fired."""
        now = self.clock()
        fired: list[Fired] = []
        for entry in self.entries:
            slot = entry.timing.latest_due(now)
            if self._settled.get(entry.name) == slot or now < self._retry_at.get(entry.name, now):
                continue
            try:
                done = await self._fire_if_due(entry, now)
            except Exception:
                log.warning(
                    "schedule %s: slot %s not fired; retrying in %s",
                    entry.name,
                    slot.isoformat(),
                    RETRY_AFTER,
                    exc_info=True,
                )
                self._retry_at[entry.name] = now + RETRY_AFTER
                continue
            self._settled[entry.name] = slot
            if done is not None:
                fired.append(done)
        return fired

    async def _fire_if_due(self, entry: ScheduledJob, now: datetime) -> Fired | None:
        # A connection of its own, only when a slot changes (a few times a day on the
        # leader): no worker holds a database connection for its scheduler in between.
        async with await AsyncConnection.connect(self.database_url, autocommit=True) as conn:
            if not self._schema_ready:
                await ensure_schema(conn)
                self._schema_ready = True
            async with conn.transaction():
                armed_at, last_slot = await lock_entry(conn, entry.name, now)
                slot = slot_to_fire(entry.timing, now, armed_at, last_slot)
                if slot is None:
                    return None
                job = entry.job_for(slot)
                await self.enqueue(job)  # acknowledged by the broker before the record commits
                await record_run(conn, entry.name, slot, job.job_id)
        log.info("schedule %s: slot %s fired job %s", entry.name, slot.isoformat(), job.job_id)
        return Fired(entry.name, slot, job.job_id)


@contextlib.asynccontextmanager
async def open_scheduler(
    settings: Settings,
    entries: Sequence[ScheduledJob] | None = None,
    clock: Clock = lambda: datetime.now(UTC),
) -> AsyncIterator[Scheduler]:
    """A scheduler with its own job producer (the deployment's entries unless others are
    given)."""
    if not settings.database_url:
        raise NotConfigured("VERACHAIN_DATABASE_URL is not set")
    database_url = settings.database_url
    async with JobQueue(settings) as queue:

        async def enqueue(job: JobSpec) -> None:
            await queue.enqueue(job.kind, job.payload, job_id=job.job_id)

        declared = scheduled_jobs(settings) if entries is None else entries
        yield Scheduler(database_url, enqueue, declared, clock)


async def run_scheduler(settings: Settings, is_leader: Callable[[], bool]) -> None:
    """Tick forever (until cancelled), acting only while this process leads its group."""
    async with open_scheduler(settings) as scheduler:
        while True:
            await asyncio.sleep(TICK_S)
            if is_leader():
                await scheduler.tick()
