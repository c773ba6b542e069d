"""Every schedule of a deployment, declared in one place: the daily jobs the scheduler
enqueues (streams/schedules/scheduler.py), and the timers that tick inside a process of
their own (listed so `verachain jobs schedule` shows operators everything that runs by
itself)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from infra.settings import Settings
from streams.auction_closer import TICK_S as AUCTION_TIMER_TICK_S
from streams.backups.backup_directory import slot_name
from streams.jobs.job import iso
from streams.jobs.job_topics import BACKUP, REPORT
from streams.reports.requests import DailyReportRequest
from streams.schedules.daily import DAY, Daily

WORKER_LEADER = "worker (group leader)"
RELAY = "relay"


@dataclass(frozen=True, slots=True)
class JobSpec:
    """A job a slot enqueues. Its id derives from the slot: re-enqueueing it is harmless."""

    kind: str
    job_id: str
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ScheduledJob:
    name: str  # stable: the scheduler records fired slots under it
    timing: Daily
    does: str
    job_for: Callable[[datetime], JobSpec]
    runs_in: str = WORKER_LEADER


@dataclass(frozen=True, slots=True)
class InProcessTimer:
    """A timer a long-running process ticks itself; nothing is recorded per tick."""

    name: str
    every_s: float
    does: str
    runs_in: str


def backup_job(slot: datetime) -> JobSpec:
    return JobSpec(BACKUP, f"backup-{slot_name(slot)}", {"slot": iso(slot)})


def daily_report_job(slot: datetime) -> JobSpec:
    """The report of the UTC day before the slot (the day that has just ended), asked for
    in the report kind's own words (its payload and id are the contract)."""
    request = DailyReportRequest((slot - DAY).date())
    return JobSpec(REPORT, request.report_id, request.payload())


def nightly_backup(at: time) -> ScheduledJob:
    return ScheduledJob("nightly-backup", Daily(at), f"{BACKUP} job", backup_job)


def daily_report(at: time) -> ScheduledJob:
    return ScheduledJob(
        "daily-report", Daily(at), f"{REPORT} job (the previous UTC day)", daily_report_job
    )


def scheduled_jobs(settings: Settings) -> list[ScheduledJob]:
    return [nightly_backup(settings.backup_at), daily_report(settings.report_at)]


def in_process_timers(settings: Settings) -> list[InProcessTimer]:
    return [
        InProcessTimer(
            "auction-timer",
            AUCTION_TIMER_TICK_S,
            "close auctions whose end has passed",
            WORKER_LEADER,
        ),
        InProcessTimer(
            "audit-checkpoint",
            settings.audit_checkpoint_interval_s,
            "sign an audit checkpoint (when new events were logged)",
            RELAY,
        ),
    ]
