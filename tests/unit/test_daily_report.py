"""The daily report's tally and files (streams/reports/daily_report), and when a day's
report may run (streams/reports/day_history.settle_delay_s)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest

from domain.catalog import event_type_named
from domain.envelope import current_version
from projections.read_rows import Envelope
from streams.reports.daily_report import DailyTally
from streams.reports.day_history import DayNotOver, settle_delay_s
from streams.reports.requests import DailyReportRequest

DAY = DailyReportRequest(date(2030, 1, 1))
EMPTY_DAY_CSV = (
    "metric,key,value\r\n"
    "products_registered,,0\r\n"
    "verifications_reaching_stage,AWAITING_AI,0\r\n"
    "verifications_reaching_stage,AWAITING_INSPECTION,0\r\n"
    "verifications_reaching_stage,CONCLUDED,0\r\n"
    "verdicts,AUTHENTIC,0\r\n"
    "verdicts,COUNTERFEIT,0\r\n"
    "verdicts,INCONCLUSIVE,0\r\n"
    "certificates_issued,,0\r\n"
    "certificates_revoked,,0\r\n"
    "auctions_opened,,0\r\n"
    "auctions_closed,SOLD,0\r\n"
    "auctions_closed,NOT_SOLD,0\r\n"
    "auctions_cancelled,,0\r\n"
    "bids_placed,,0\r\n"
    "bids_flagged,,0\r\n"
)


class Log:
    """Envelopes of the given types, at the given times, in position order."""

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []

    def add(self, kind: str, at: str, aggregate_id: str | None = None, **data: Any) -> Envelope:
        event_type = event_type_named(kind)
        assert event_type is not None
        envelope: Envelope = {
            "event_id": str(uuid4()),
            "type": kind,
            "schema_version": current_version(event_type),
            "aggregate_id": aggregate_id or str(uuid4()),
            "aggregate_version": 1,
            "position": 10 * (len(self.envelopes) + 1),
            "occurred_at": at,
            "data": data,
        }
        self.envelopes.append(envelope)
        return envelope


def closed(log: Log, at: str, currency: str, amount: str | None) -> None:
    winner = None if amount is None else f"bidder-{uuid4().hex[:4]}"
    log.add("AuctionClosed", at, winner_id=winner, winning_amount=amount, currency=currency)


def tally_of(log: Log) -> DailyTally:
    tally = DailyTally(DAY)
    for envelope in log.envelopes:
        tally.add(envelope)
    return tally


def test_a_day_counts_its_own_events_and_sums_sales_per_currency_as_decimals() -> None:
    log = Log()
    log.add("ProductRegistered", "2029-12-31T23:59:59.999999Z")  # the day before
    log.add("ProductRegistered", "2030-01-01T00:00:00.000000Z")  # the day's first instant
    log.add("ProductRegistered", "2030-01-01T09:00:00.000000Z")
    for minute in (5, 6):
        log.add("VerificationRequested", f"2030-01-01T10:0{minute}:00.000000Z")
    log.add("AIAssessmentRecorded", "2030-01-01T10:07:00.000000Z")
    log.add("InspectionRecorded", "2030-01-01T10:08:00.000000Z", verdict="COUNTERFEIT")
    log.add("InspectionRecorded", "2030-01-01T10:09:00.000000Z", verdict="AUTHENTIC")
    log.add("CertificateIssued", "2030-01-01T10:10:00.000000Z")
    log.add("CertificateRevoked", "2030-01-01T11:00:00.000000Z")
    for _ in range(3):
        log.add("AuctionOpened", "2030-01-01T11:30:00.000000Z")
    for _ in range(4):
        log.add("BidPlaced", "2030-01-01T11:45:00.000000Z")
    auction = str(uuid4())
    flag = log.add(
        "BidFlagged",
        "2030-01-01T12:00:00.000000Z",
        auction,
        bid_id="b-1",
        score="0.9100",
        threshold="0.8",
        reason="answers within seconds",
        flagged_by="bid-scorer",
    )
    closed(log, "2030-01-01T13:00:00.000000Z", "EUR", "110.50")
    closed(log, "2030-01-01T14:00:00.000000Z", "EUR", "1150.25")
    closed(log, "2030-01-01T15:00:00.000000Z", "USD", "99.99")
    closed(log, "2030-01-01T16:00:00.000000Z", "EUR", None)
    log.add("AuctionCancelled", "2030-01-01T17:00:00.000000Z", reason="withdrawn")
    log.add("ProductRegistered", "2030-01-02T00:00:00.000000Z")  # the next day

    report = tally_of(log).render(as_of_position=4242)

    expected = (
        EMPTY_DAY_CSV.replace("products_registered,,0", "products_registered,,2")
        .replace("AWAITING_AI,0", "AWAITING_AI,2")
        .replace("AWAITING_INSPECTION,0", "AWAITING_INSPECTION,1")
        .replace("CONCLUDED,0", "CONCLUDED,2")
        .replace("verdicts,AUTHENTIC,0", "verdicts,AUTHENTIC,1")
        .replace("verdicts,COUNTERFEIT,0", "verdicts,COUNTERFEIT,1")
        .replace("certificates_issued,,0", "certificates_issued,,1")
        .replace("certificates_revoked,,0", "certificates_revoked,,1")
        .replace("auctions_opened,,0", "auctions_opened,,3")
        .replace("auctions_closed,SOLD,0", "auctions_closed,SOLD,3")
        .replace("auctions_closed,NOT_SOLD,0", "auctions_closed,NOT_SOLD,1")
        .replace("auctions_cancelled,,0", "auctions_cancelled,,1")
        .replace("bids_placed,,0", "bids_placed,,4")
        .replace("bids_flagged,,0", "bids_flagged,,1")
    ) + ("sales,EUR,2\r\nturnover,EUR,1260.75\r\nsales,USD,1\r\nturnover,USD,99.99\r\n")
    assert report.csv.decode() == expected
    assert report.row_count == len(expected.splitlines()) - 1
    document = json.loads(report.json)
    assert document["sales"] == {
        "EUR": {"count": 2, "turnover": "1260.75"},
        "USD": {"count": 1, "turnover": "99.99"},
    }
    assert document["flagged_bids"] == [
        {
            "auction_id": auction,
            "bid_id": "b-1",
            "score": "0.9100",
            "threshold": "0.8",
            "reason": "answers within seconds",
            "flagged_by": "bid-scorer",
            "flagged_at": "2030-01-01T12:00:00.000000Z",
            "position": flag["position"],
        }
    ]
    assert document["verifications"] == {
        "reaching_stage": {"AWAITING_AI": 2, "AWAITING_INSPECTION": 1, "CONCLUDED": 2},
        "verdicts": {"AUTHENTIC": 1, "COUNTERFEIT": 1, "INCONCLUSIVE": 0},
    }
    assert document["auctions"] == {
        "opened": 3,
        "closed": {"SOLD": 3, "NOT_SOLD": 1},
        "cancelled": 1,
    }
    assert (document["day"], document["from"], document["until"]) == (
        "2030-01-01",
        "2030-01-01T00:00:00.000000Z",
        "2030-01-02T00:00:00.000000Z",
    )
    assert (document["as_of_position"], document["id"]) == (4242, "report-daily-2030-01-01")
    assert b'"turnover": "1260.75"' in report.json  # a string, never a JSON number


def test_an_empty_day_has_every_metric_at_zero_and_no_sales() -> None:
    report = DailyTally(DAY).render(as_of_position=0)

    assert report.csv.decode() == EMPTY_DAY_CSV
    assert report.row_count == 15
    document = json.loads(report.json)
    assert (document["sales"], document["flagged_bids"], document["products_registered"]) == (
        {},
        [],
        0,
    )
    assert report == DailyTally(DAY).render(as_of_position=0)  # same bytes every time


def test_a_day_is_reported_only_once_it_is_over_and_its_last_events_are_in() -> None:
    midnight = datetime(2030, 1, 2, tzinfo=UTC)
    with pytest.raises(DayNotOver, match="day 2030-01-01 is not over"):
        settle_delay_s(DAY, midnight - timedelta(microseconds=1))
    assert settle_delay_s(DAY, midnight) == 60.0  # events stamped 23:59:59 may still commit
    assert settle_delay_s(DAY, midnight + timedelta(seconds=45)) == 15.0
    assert settle_delay_s(DAY, midnight + timedelta(days=3)) == 0.0
