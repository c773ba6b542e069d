"""The daily report: what happened on one UTC day, tallied from the day's events. Pure.

Why the event store and not the read model: an event's time never changes, so "the events
of day D recorded up to position P" gives the same report whenever it is built (the job
records P). The read model holds current state: a verification requested on D shows the
stage it has reached since, a flag carries no time, and a rebuild refills every table.
So each count here is of events of the day: a verification that reached a stage, a
certificate issued or revoked, an auction opened or ended, a bid placed or flagged.

The CSV is the tally as rows of (metric, key, value); the JSON holds the same tally, and
the flagged bids one by one."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from domain.envelope import format_utc, upcast_envelope
from domain.statuses import Verdict, VerificationStage
from projections.read_rows import Envelope
from streams.reports.rendering import FORMAT_VERSION, Cell, RenderedReport, decimal_text, render
from streams.reports.requests import DailyReportRequest

CSV_HEADER = ("metric", "key", "value")
# Which stage an event brings its verification to.
_STAGE_REACHED = {
    "VerificationRequested": VerificationStage.AWAITING_AI,
    "AIAssessmentRecorded": VerificationStage.AWAITING_INSPECTION,
    "InspectionRecorded": VerificationStage.CONCLUDED,
}
_SIMPLE = {
    "ProductRegistered": "products_registered",
    "CertificateIssued": "certificates_issued",
    "CertificateRevoked": "certificates_revoked",
    "AuctionOpened": "auctions_opened",
    "AuctionCancelled": "auctions_cancelled",
    "BidPlaced": "bids_placed",
    "BidFlagged": "bids_flagged",
}
SOLD, NOT_SOLD = "SOLD", "NOT_SOLD"


@dataclass
class DailyTally:
    """Feed it every event that may belong to the day (`add` ignores those outside it)."""

    request: DailyReportRequest
    counts: Counter[str] = field(default_factory=Counter)
    stages: Counter[str] = field(default_factory=Counter)
    verdicts: Counter[str] = field(default_factory=Counter)
    closed: Counter[str] = field(default_factory=Counter)
    sales: Counter[str] = field(default_factory=Counter)
    turnover: dict[str, Decimal] = field(default_factory=dict)
    flagged_bids: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        # Envelope times are fixed-width UTC text (format_utc): they compare as strings.
        self._from = format_utc(self.request.starts_at)
        self._until = format_utc(self.request.ends_at)

    def covers(self, occurred_at: str) -> bool:
        return self._from <= occurred_at < self._until

    def add(self, envelope: Envelope) -> None:
        if not self.covers(str(envelope["occurred_at"])):
            return
        envelope = upcast_envelope(envelope)
        kind, data = envelope["type"], envelope["data"]
        if kind in _SIMPLE:
            self.counts[_SIMPLE[kind]] += 1
        if kind in _STAGE_REACHED:
            self.stages[_STAGE_REACHED[kind]] += 1
        if kind == "InspectionRecorded":
            self.verdicts[str(data["verdict"])] += 1
        elif kind == "AuctionClosed":
            currency = str(data["currency"])
            if data.get("winner_id"):
                self.closed[SOLD] += 1
                self.sales[currency] += 1
                amount = Decimal(data["winning_amount"])
                self.turnover[currency] = self.turnover.get(currency, Decimal(0)) + amount
            else:
                self.closed[NOT_SOLD] += 1
        elif kind == "BidFlagged":
            self.flagged_bids.append(
                {
                    "auction_id": str(envelope["aggregate_id"]),
                    "bid_id": str(data["bid_id"]),
                    "score": decimal_text(Decimal(data["score"])),
                    "threshold": decimal_text(Decimal(data["threshold"])),
                    "reason": str(data["reason"]),
                    "flagged_by": str(data["flagged_by"]),
                    "flagged_at": str(envelope["occurred_at"]),
                    "position": int(envelope["position"]),
                }
            )

    def rows(self) -> list[list[Cell]]:
        """Every metric, zeros included, in a fixed order (a quiet day has the same rows as
        a busy one, minus the per-currency sales)."""

        def count(name: str) -> list[Cell]:
            return [name, "", self.counts[name]]

        rows: list[list[Cell]] = [count("products_registered")]
        rows += [
            ["verifications_reaching_stage", s.value, self.stages[s]] for s in VerificationStage
        ]
        rows += [["verdicts", v.value, self.verdicts[v]] for v in Verdict]
        rows += [count("certificates_issued"), count("certificates_revoked")]
        rows += [count("auctions_opened")]
        rows += [["auctions_closed", outcome, self.closed[outcome]] for outcome in (SOLD, NOT_SOLD)]
        rows += [count("auctions_cancelled"), count("bids_placed"), count("bids_flagged")]
        for currency in sorted(self.sales):
            rows.append(["sales", currency, self.sales[currency]])
            rows.append(["turnover", currency, self.turnover[currency]])
        return rows

    def document(self, as_of_position: int) -> dict[str, Any]:
        return {
            "report": "daily",
            "id": self.request.report_id,
            "format_version": FORMAT_VERSION,
            "day": self.request.subject,
            "from": self._from,
            "until": self._until,
            "as_of_position": as_of_position,
            "products_registered": self.counts["products_registered"],
            "verifications": {
                "reaching_stage": {s.value: self.stages[s] for s in VerificationStage},
                "verdicts": {v.value: self.verdicts[v] for v in Verdict},
            },
            "certificates": {
                "issued": self.counts["certificates_issued"],
                "revoked": self.counts["certificates_revoked"],
            },
            "auctions": {
                "opened": self.counts["auctions_opened"],
                "closed": {outcome: self.closed[outcome] for outcome in (SOLD, NOT_SOLD)},
                "cancelled": self.counts["auctions_cancelled"],
            },
            "bids": {"placed": self.counts["bids_placed"], "flagged": self.counts["bids_flagged"]},
            "sales": {
                currency: {
                    "count": self.sales[currency],
                    "turnover": decimal_text(self.turnover[currency]),
                }
                for currency in sorted(self.sales)
            },
            "flagged_bids": sorted(self.flagged_bids, key=lambda bid: int(bid["position"])),
        }

    def render(self, as_of_position: int) -> RenderedReport:
        """`as_of_position`: the last store position the day's events were read up to."""
        return render(self.document(as_of_position), CSV_HEADER, self.rows())
