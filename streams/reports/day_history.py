"""The events of one UTC day, read from the store's global log without reading all of it.

The log has no time column: an event's time is inside its stored state. Events are stamped
when their command is decided and recorded moments later (the bus's batch window, a few
conflict retries, a lock wait of at most POSTGRES_LOCK_TIMEOUT), so along the log's order
time only ever runs back by a little. Within COMMIT_SLACK of that, a binary search over
positions finds where the day starts (about 30 one-row reads for a billion events), and
the scan stops once a whole batch is past the day's end plus the slack. Events stamped
with a time further from their commit (a scripted clock, a host far off NTP) may be
missed; the report says up to which position it read (`as_of_position`).

Synchronous (the eventsourcing library is): call it in a thread."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from commands.store import EventStore
from domain.envelope import format_utc
from projections.read_rows import Envelope
from streams.history_reader import history_batches, recorded_envelope_of
from streams.reports.requests import DailyReportRequest, ReportRejected

COMMIT_SLACK = timedelta(seconds=60)


class DayNotOver(ReportRejected):
    """The day has not ended yet: its report can only be made after it."""


def settle_delay_s(request: DailyReportRequest, now: datetime) -> float:
    """How long to wait before every event of the day is recorded: DayNotOver before the
    day ended, then what remains of COMMIT_SLACK (a job enqueued at midnight waits a
    minute rather than miss the day's last events)."""
    if now < request.ends_at:
        raise DayNotOver(
            f"day {request.subject} is not over: its report can run from "
            f"{format_utc(request.ends_at + COMMIT_SLACK)}"
        )
    return max(0.0, (request.ends_at + COMMIT_SLACK - now).total_seconds())


def first_position_from(store: EventStore, moment: datetime, up_to: int) -> int:
    """The first position (at most `up_to`) whose event happened at or after `moment`, or
    up_to + 1 when none did. Positions are not dense (FINDINGS.md): a probe at p reads the
    first event at or after p."""
    target = format_utc(moment)  # fixed-width UTC text: compares like the times it names
    low, high = 1, up_to + 1
    while low < high:
        middle = (low + high) // 2
        found = store.recorder.select_notifications(middle, 1, stop=up_to)
        if not found or str(recorded_envelope_of(store, found[0])["occurred_at"]) >= target:
            high = middle
        else:
            low = found[0].id + 1
    return low


def day_envelopes(
    store: EventStore, request: DailyReportRequest, up_to: int
) -> Iterator[list[Envelope]]:
    """Batches holding every event of the day recorded at positions up to `up_to` (and
    some from either side of it: the caller keeps the day's by their time)."""
    start = first_position_from(store, request.starts_at - COMMIT_SLACK, up_to)
    beyond = format_utc(request.ends_at + COMMIT_SLACK)
    for batch in history_batches(store, after=start - 1, up_to=up_to):
        if all(str(envelope["occurred_at"]) >= beyond for envelope in batch):
            return
        yield batch
