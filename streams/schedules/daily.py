"""When a daily schedule is due. Pure: a time of day (UTC) and a clock reading in, slots out.

A slot is the moment an entry is due (a UTC datetime); the scheduler fires a slot at most
once, and after downtime only the most recent one it missed (`slot_to_fire`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

DAY = timedelta(days=1)


def _utc(moment: datetime) -> datetime:
    # A naive datetime would silently be read in the machine's local zone: refuse it.
    if moment.tzinfo is None:
        raise ValueError(f"{moment.isoformat()} has no time zone: schedules need UTC moments")
    return moment.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Daily:
    """Every day at `at`, UTC."""

    at: time

    def latest_due(self, now: datetime) -> datetime:
        """The last slot at or before `now`."""
        now = _utc(now)
        today = datetime.combine(now.date(), self.at, tzinfo=UTC)
        return today if today <= now else today - DAY

    def next_after(self, now: datetime) -> datetime:
        """The first slot strictly after `now`."""
        return self.latest_due(now) + DAY

    def describe(self) -> str:
        return f"daily at {self.at.strftime('%H:%M')} UTC"


def slot_to_fire(
    timing: Daily, now: datetime, armed_at: datetime, last_fired: datetime | None
) -> datetime | None:
    """The slot to fire now, if any: the latest due one, unless it was fired already (or a
    later one was), or it came before the entry was armed (first seen by a scheduler: a new
    installation or entry starts at its next slot instead of firing one from before it
    existed). Older missed slots are never fired: after downtime, one run catches up."""
    slot = timing.latest_due(now)
    if slot < _utc(armed_at):
        return None
    if last_fired is not None and slot <= _utc(last_fired):
        return None
    return slot


def next_due(
    timing: Daily, now: datetime, armed_at: datetime | None, last_fired: datetime | None
) -> datetime:
    """When the entry fires next: its latest due slot if that is still to fire (overdue:
    the leader fires it on its next tick), else the next slot after `now`."""
    if armed_at is not None:
        pending = slot_to_fire(timing, now, armed_at, last_fired)
        if pending is not None:
            return pending
    return timing.next_after(now)
