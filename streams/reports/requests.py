"""What a `report` job asks for, and the jobs that ask for reports. Pure.

The payload is a contract (the scheduler enqueues daily reports with exactly this):
    {"report": "auction", "auction_id": "<uuid>"}   job id `report-auction-<uuid>`
    {"report": "daily", "day": "YYYY-MM-DD"}         job id `report-daily-<day>` (a UTC day)
The job id is the report's id: enqueueing the same report twice is one report."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from streams.jobs.job import Job, new_job
from streams.jobs.job_topics import REPORT
from streams.jobs.registry import JobRejected

AUCTION = "auction"
DAILY = "daily"
REPORT_KINDS = (AUCTION, DAILY)
CLOSED = "AuctionClosed"
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_REPORT_ID = re.compile(r"report-(auction-[0-9a-f-]{36}|daily-\d{4}-\d{2}-\d{2})")


class ReportRejected(JobRejected):
    """A report that can never be built as asked: the job goes to dead letters at once,
    with this message, and nothing is written."""


class InvalidReportRequest(ReportRejected):
    """The payload is not one of the two report requests."""


@dataclass(frozen=True, slots=True)
class AuctionReportRequest:
    auction_id: UUID

    kind = AUCTION

    @property
    def report_id(self) -> str:
        return f"report-auction-{self.auction_id}"

    @property
    def subject(self) -> str:
        return str(self.auction_id)

    def payload(self) -> dict[str, Any]:
        return {"report": AUCTION, "auction_id": str(self.auction_id)}


@dataclass(frozen=True, slots=True)
class DailyReportRequest:
    day: date

    kind = DAILY

    @property
    def report_id(self) -> str:
        return f"report-daily-{self.day.isoformat()}"

    @property
    def subject(self) -> str:
        return self.day.isoformat()

    @property
    def starts_at(self) -> datetime:
        return datetime.combine(self.day, time(), tzinfo=UTC)

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(days=1)

    def payload(self) -> dict[str, Any]:
        return {"report": DAILY, "day": self.day.isoformat()}


ReportRequest = AuctionReportRequest | DailyReportRequest


def parse_day(text: object) -> date:
    """A UTC day written YYYY-MM-DD, nothing else (fromisoformat alone takes 20261126 too)."""
    if not isinstance(text, str) or not _DAY.fullmatch(text):
        raise InvalidReportRequest(f"day must be a date written YYYY-MM-DD, got {text!r}")
    try:
        return date.fromisoformat(text)
    except ValueError as e:
        raise InvalidReportRequest(f"day {text!r} is not a calendar date: {e}") from e


def parse_auction_id(text: object) -> UUID:
    if isinstance(text, str):
        try:
            return UUID(text)
        except ValueError:
            pass
    raise InvalidReportRequest(f"auction_id must be a UUID, got {text!r}")


def parse_request(payload: dict[str, Any]) -> ReportRequest:
    """The request a job's payload makes; InvalidReportRequest otherwise."""
    report = payload.get("report")
    if report == AUCTION:
        return AuctionReportRequest(parse_auction_id(payload.get("auction_id")))
    if report == DAILY:
        return DailyReportRequest(parse_day(payload.get("day")))
    raise InvalidReportRequest(f"report must be one of {', '.join(REPORT_KINDS)}, got {report!r}")


def is_report_id(text: str) -> bool:
    """Whether `text` is an id a report job can have (the download routes check it)."""
    return _REPORT_ID.fullmatch(text) is not None


def report_job(request: ReportRequest) -> Job:
    return new_job(REPORT, request.payload(), job_id=request.report_id)


def auction_report_job_for(value: bytes) -> Job | None:
    """The report job an auction-topic message asks for: AuctionClosed only. Other events
    and malformed messages give None (the projector dead-letters the malformed ones)."""
    if CLOSED.encode() not in value:  # most messages are bids: skip them without parsing
        return None
    try:
        envelope = json.loads(value)
    except ValueError:
        return None
    if not isinstance(envelope, dict) or envelope.get("type") != CLOSED:
        return None
    try:
        auction_id = UUID(str(envelope["aggregate_id"]))
    except (KeyError, ValueError):
        return None
    return report_job(AuctionReportRequest(auction_id))
