"""Reads what a report is made of from the event store and builds it (synchronous, like
the eventsourcing library: call it in a thread)."""

from __future__ import annotations

from commands.store import EventStore
from streams.history_reader import read_aggregate_history
from streams.reports.auction_report import auction_report
from streams.reports.daily_report import DailyTally
from streams.reports.day_history import day_envelopes
from streams.reports.rendering import RenderedReport
from streams.reports.requests import AuctionReportRequest, ReportRequest

MAX_VERSION = 2**31 - 1


def build_report(
    store: EventStore, request: ReportRequest, as_of_position: int | None
) -> tuple[RenderedReport, int]:
    """The report of the store's history up to `as_of_position` (None: as it is now) and
    the position it covers, which the index records so that a rebuild reads the same."""
    if isinstance(request, AuctionReportRequest):
        history = read_aggregate_history(store, request.auction_id, 0, MAX_VERSION)
        if as_of_position is not None:
            history = [e for e in history if int(e["position"]) <= as_of_position]
        report = auction_report(request, history)  # refuses an empty history
        return report, int(history[-1]["position"])
    up_to = store.head_position() if as_of_position is None else as_of_position
    tally = DailyTally(request)
    for batch in day_envelopes(store, request, up_to):
        for envelope in batch:
            tally.add(envelope)
    return tally.render(up_to), up_to
