"""Report job payloads, their ids, and AuctionClosed -> report job (streams/reports/requests)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any
from uuid import uuid4

import pytest

from streams.jobs.job_topics import REPORT
from streams.jobs.registry import JobRejected
from streams.reports.requests import (
    AuctionReportRequest,
    DailyReportRequest,
    InvalidReportRequest,
    auction_report_job_for,
    is_report_id,
    parse_request,
    report_job,
)


def test_an_auction_request_names_its_report_by_the_auction() -> None:
    auction_id = uuid4()
    request = parse_request({"report": "auction", "auction_id": str(auction_id)})
    assert request == AuctionReportRequest(auction_id)
    assert (request.kind, request.subject) == ("auction", str(auction_id))
    assert request.report_id == f"report-auction-{auction_id}"
    assert is_report_id(request.report_id)


def test_a_daily_request_covers_one_utc_day() -> None:
    request = parse_request({"report": "daily", "day": "2026-11-26"})
    assert isinstance(request, DailyReportRequest)
    assert request.report_id == "report-daily-2026-11-26"
    assert request.starts_at == datetime(2026, 11, 26, tzinfo=UTC)
    assert request.ends_at == datetime(2026, 11, 27, tzinfo=UTC)
    assert is_report_id(request.report_id)


def test_the_job_of_a_request_has_the_report_id_and_the_contract_payload() -> None:
    job = report_job(DailyReportRequest(date(2026, 2, 28)))
    assert (job.kind, job.job_id, job.attempt) == (REPORT, "report-daily-2026-02-28", 1)
    assert job.payload == {"report": "daily", "day": "2026-02-28"}
    assert parse_request(job.payload) == DailyReportRequest(date(2026, 2, 28))


@pytest.mark.parametrize(
    ("payload", "says"),
    [
        ({}, "report must be one of auction, daily"),
        ({"report": "weekly", "day": "2026-11-26"}, "got 'weekly'"),
        ({"report": "daily"}, "day must be a date written YYYY-MM-DD, got None"),
        ({"report": "daily", "day": "20261126"}, "YYYY-MM-DD"),
        ({"report": "daily", "day": "2026-11-26T00:00"}, "YYYY-MM-DD"),
        ({"report": "daily", "day": "2026-02-30"}, "not a calendar date"),
        ({"report": "daily", "day": 20261126}, "YYYY-MM-DD"),
        ({"report": "auction"}, "auction_id must be a UUID, got None"),
        ({"report": "auction", "auction_id": "not-a-uuid"}, "got 'not-a-uuid'"),
        ({"report": "auction", "auction_id": 42}, "auction_id must be a UUID"),
    ],
)
def test_malformed_payloads_are_rejected_for_good_with_the_reason(
    payload: dict[str, Any], says: str
) -> None:
    with pytest.raises(InvalidReportRequest, match=says) as refused:
        parse_request(payload)
    assert isinstance(refused.value, JobRejected)  # dead-lettered at once, never retried


@pytest.mark.parametrize(
    "text", ["report-daily-2026-1-1", "report-auction-x", "../etc/passwd", "report-daily-"]
)
def test_only_the_two_id_shapes_are_report_ids(text: str) -> None:
    assert not is_report_id(text)


def _envelope(kind: str, aggregate_id: str) -> bytes:
    envelope = {"type": kind, "aggregate_type": "Auction", "aggregate_id": aggregate_id}
    return json.dumps({**envelope, "data": {}}).encode()


def test_an_auction_closed_event_asks_for_its_auctions_report() -> None:
    auction_id = str(uuid4())
    job = auction_report_job_for(_envelope("AuctionClosed", auction_id))
    assert job is not None
    assert (job.kind, job.job_id) == (REPORT, f"report-auction-{auction_id}")
    assert job.payload == {"report": "auction", "auction_id": auction_id}


@pytest.mark.parametrize(
    "value",
    [
        _envelope("BidPlaced", str(uuid4())),
        _envelope("AuctionCancelled", str(uuid4())),
        _envelope("AuctionClosed", "not-a-uuid"),
        b'{"type": "AuctionClosed"}',
        b"AuctionClosed but not JSON",
        b'["AuctionClosed"]',
    ],
)
def test_other_events_and_malformed_messages_ask_for_nothing(value: bytes) -> None:
    assert auction_report_job_for(value) is None
