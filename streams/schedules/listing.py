"""What `verachain jobs schedule` shows: every schedule, where it runs, what it last fired
and when it is due next."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from psycopg import AsyncConnection

from infra.bootstrap import NotConfigured
from infra.settings import Settings
from streams.schedules.daily import next_due
from streams.schedules.entries import (
    InProcessTimer,
    ScheduledJob,
    in_process_timers,
    scheduled_jobs,
)
from streams.schedules.schedule_runs import EntryState, entry_states

NEVER = EntryState(None, None, None, None)


@dataclass(frozen=True, slots=True)
class ScheduleLine:
    name: str
    when: str
    runs_in: str
    does: str
    recorded: bool  # False: an in-process timer, whose ticks are not recorded
    last_slot: datetime | None = None
    last_job_id: str | None = None
    next_due: datetime | None = None
    overdue: bool = False  # due and not fired yet: the leader fires it on its next tick


def schedule_lines(
    jobs: list[ScheduledJob],
    timers: list[InProcessTimer],
    states: dict[str, EntryState],
    now: datetime,
) -> list[ScheduleLine]:
    lines = []
    for job in jobs:
        state = states.get(job.name, NEVER)
        due = next_due(job.timing, now, state.armed_at, state.last_slot)
        lines.append(
            ScheduleLine(
                job.name,
                job.timing.describe(),
                job.runs_in,
                job.does,
                recorded=True,
                last_slot=state.last_slot,
                last_job_id=state.last_job_id,
                next_due=due,
                overdue=due <= now,
            )
        )
    lines += [
        ScheduleLine(t.name, f"every {t.every_s:g} s", t.runs_in, t.does, recorded=False)
        for t in timers
    ]
    return lines


async def read_schedule(settings: Settings, now: datetime) -> list[ScheduleLine]:
    if not settings.database_url:
        raise NotConfigured("VERACHAIN_DATABASE_URL is not set (or run `verachain dev`)")
    async with await AsyncConnection.connect(settings.database_url) as conn:
        states = await entry_states(conn)
    return schedule_lines(scheduled_jobs(settings), in_process_timers(settings), states, now)
