"""The declared schedules: the jobs their slots enqueue (ids derived from the slot), and the
listing `verachain jobs schedule` prints."""

from __future__ import annotations

from datetime import UTC, datetime, time

from infra.settings import Settings
from streams.backups.backup_directory import is_slot_name, slot_name
from streams.schedules.entries import (
    JobSpec,
    daily_report,
    in_process_timers,
    nightly_backup,
    scheduled_jobs,
)
from streams.schedules.listing import schedule_lines
from streams.schedules.schedule_runs import EntryState

SLOT = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


def test_the_nightly_backup_enqueues_a_backup_job_named_after_its_slot() -> None:
    job = nightly_backup(time(2, 0)).job_for(SLOT)
    assert job == JobSpec(
        "backup", "backup-2026-11-27T0200Z", {"slot": "2026-11-27T02:00:00.000000Z"}
    )
    assert datetime.fromisoformat(job.payload["slot"]) == SLOT


def test_the_daily_report_is_of_the_utc_day_that_has_just_ended() -> None:
    first_of_month = datetime(2026, 12, 1, 0, 15, tzinfo=UTC)
    assert daily_report(time(0, 15)).job_for(first_of_month) == JobSpec(
        "report", "report-daily-2026-11-30", {"report": "daily", "day": "2026-11-30"}
    )


def test_slot_names_sort_like_slots_and_have_one_spelling() -> None:
    assert slot_name(SLOT) == "2026-11-27T0200Z"
    assert slot_name(datetime(2027, 1, 1, 0, 5, tzinfo=UTC)) > slot_name(SLOT)
    assert is_slot_name("2026-11-27T0200Z")
    for other in ("2026-11-27T02:00Z", "2026-11-27", "2026-1-27T0200Z", ".2026-11-27T0200Z"):
        assert not is_slot_name(other)


def test_every_schedule_is_listed_with_its_place_and_next_slot() -> None:
    settings = Settings(backup_at=time(2, 0), report_at=time(0, 15))
    now = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    states = {
        "nightly-backup": EntryState(
            datetime(2026, 11, 1, tzinfo=UTC), SLOT, "backup-2026-11-27T0200Z", now
        ),
        # Fired last on the 25th: the 27th's slot is overdue (no leader since 00:15).
        "daily-report": EntryState(
            datetime(2026, 11, 1, tzinfo=UTC),
            datetime(2026, 11, 25, 0, 15, tzinfo=UTC),
            "report-daily-2026-11-24",
            now,
        ),
    }
    lines = schedule_lines(scheduled_jobs(settings), in_process_timers(settings), states, now)
    by_name = {line.name: line for line in lines}
    assert list(by_name) == ["nightly-backup", "daily-report", "auction-timer", "audit-checkpoint"]
    backup = by_name["nightly-backup"]
    assert (backup.when, backup.runs_in, backup.last_job_id) == (
        "daily at 02:00 UTC",
        "worker (group leader)",
        "backup-2026-11-27T0200Z",
    )
    assert (backup.next_due, backup.overdue) == (datetime(2026, 11, 28, 2, 0, tzinfo=UTC), False)
    report = by_name["daily-report"]
    assert (report.next_due, report.overdue) == (datetime(2026, 11, 27, 0, 15, tzinfo=UTC), True)
    timers = [(by_name[n].when, by_name[n].runs_in) for n in ("auction-timer", "audit-checkpoint")]
    assert timers == [("every 0.5 s", "worker (group leader)"), ("every 1 s", "relay")]
    assert not by_name["audit-checkpoint"].recorded
