"""The per-auction report from an auction's real events (streams/reports/auction_report)."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest

from domain.auction import Auction
from domain.envelope import envelope_of
from domain.product import Product
from projections.read_rows import Envelope
from streams.reports.auction_report import AuctionNotEnded, AuctionNotFound, auction_report
from streams.reports.requests import AuctionReportRequest
from tests.unit.support import END, T0, prov

HEADER = (
    "bid_id,bidder_id,amount,currency,placed_at,winning,extended_ends_at,flagged,flag_score,"
    "flag_reason\r\n"
)


def envelopes_of(*events: Any) -> list[Envelope]:
    return [envelope_of(event, 100 + 3 * index) for index, event in enumerate(events)]


def story(aggregate: Auction | Product) -> list[Any]:
    """Everything the aggregate recorded since last asked, its creation included."""
    return list(aggregate.collect_events())


def opened(seller: str = "seller-sam") -> tuple[Auction, list[Any]]:
    auction = Auction.open(
        auction_id=uuid4(),
        product_id=uuid4(),
        reserve_price=Decimal("100.00"),
        min_increment=Decimal("5.00"),
        currency="EUR",
        starts_at=T0,
        ends_at=END,
        prov=prov(seller, T0),
    )
    return auction, story(auction)


def test_a_sold_auction_lists_every_bid_its_flag_the_extension_and_the_outcome() -> None:
    auction, events = opened()
    first = auction.place_bid(
        amount=Decimal("100"), currency="EUR", prov=prov("alice", T0 + timedelta(minutes=10))
    )
    last = auction.place_bid(
        amount=Decimal("110.50"), currency="EUR", prov=prov("bob", END - timedelta(minutes=1))
    )  # inside the closing window: extended by two minutes
    auction.flag_bid(
        bid_id=last,
        score=Decimal("0.9731"),
        threshold=Decimal("0.8"),
        reason="answers within seconds",
        model_name="bid-anomaly",
        model_version="1.0.0",
        model_sha256="a" * 64,
        prov=prov("bid-scorer", END),
    )
    auction.close(prov("auction-timer", END + timedelta(minutes=2)))
    envelopes = envelopes_of(*events, *story(auction))
    request = AuctionReportRequest(auction.id)

    report = auction_report(request, envelopes)

    assert report.csv.decode() == (
        HEADER + f"{first},alice,100.00,EUR,2030-01-01T12:10:00.000000Z,false,,false,,\r\n"
        f"{last},bob,110.50,EUR,2030-01-01T12:59:00.000000Z,true,2030-01-01T13:01:00.000000Z,"
        "true,0.9731,answers within seconds\r\n"
    )
    assert report.row_count == 2
    document = json.loads(report.json)
    assert document["auction"] == {
        "auction_id": str(auction.id),
        "product_id": str(auction.product_id),
        "seller_id": "seller-sam",
        "currency": "EUR",
        "reserve_price": "100.00",
        "min_increment": "5.00",
        "starts_at": "2030-01-01T12:00:00.000000Z",
        "scheduled_ends_at": "2030-01-01T13:00:00.000000Z",
        "ends_at": "2030-01-01T13:01:00.000000Z",
        "opened_at": "2030-01-01T12:00:00.000000Z",
        "ended_at": "2030-01-01T13:02:00.000000Z",
        "status": "CLOSED",
        "outcome": "SOLD",
        "winner_id": "bob",
        "winning_bid_id": str(last),
        "final_price": "110.50",
        "reserve_met": True,
        "cancel_reason": None,
        "bid_count": 2,
        "bidder_count": 2,
        "flagged_bid_count": 1,
        "extension_count": 1,
    }
    assert document["extensions"] == [
        {
            "bid_id": str(last),
            "previous_ends_at": "2030-01-01T13:00:00.000000Z",
            "ends_at": "2030-01-01T13:01:00.000000Z",
            "at": "2030-01-01T12:59:00.000000Z",
        }
    ]
    flagged = document["bids"][1]
    assert (flagged["amount"], flagged["flag_score"], flagged["flag_threshold"]) == (
        "110.50",
        "0.9731",
        "0.8",
    )
    assert (flagged["flagged_by"], flagged["flagged_at"]) == (
        "bid-scorer",
        "2030-01-01T13:00:00.000000Z",
    )
    assert (flagged["winning"], document["bids"][0]["winning"]) == (True, False)
    assert [bid["auction_version"] for bid in document["bids"]] == [2, 3]
    assert (document["as_of_position"], document["as_of_version"]) == (
        envelopes[-1]["position"],
        6,
    )
    assert (document["id"], document["report"]) == (request.report_id, "auction")
    # Deterministic: the same history gives the same bytes.
    assert auction_report(request, envelopes) == report


def test_an_auction_without_bids_closes_unsold_with_the_reserve_unmet() -> None:
    auction, events = opened()
    auction.close(prov("auction-timer", END))

    report = auction_report(
        AuctionReportRequest(auction.id), envelopes_of(*events, *story(auction))
    )

    assert (report.csv.decode(), report.row_count) == (HEADER, 0)
    summary = json.loads(report.json)["auction"]
    assert (summary["outcome"], summary["winner_id"], summary["final_price"]) == (
        "NOT_SOLD",
        None,
        None,
    )
    assert (summary["reserve_met"], summary["bid_count"], summary["ends_at"]) == (
        False,
        0,
        "2030-01-01T13:00:00.000000Z",
    )


def test_a_cancelled_auction_has_a_report_saying_why() -> None:
    auction, events = opened()
    auction.cancel("withdrawn by the seller", prov("seller-sam", T0 + timedelta(minutes=5)))

    report = auction_report(
        AuctionReportRequest(auction.id), envelopes_of(*events, *story(auction))
    )

    summary = json.loads(report.json)["auction"]
    assert (summary["status"], summary["outcome"], summary["cancel_reason"]) == (
        "CANCELLED",
        "CANCELLED",
        "withdrawn by the seller",
    )


def test_an_open_auction_has_no_report_yet() -> None:
    auction, events = opened()
    auction.place_bid(amount=Decimal(120), currency="EUR", prov=prov("alice", T0))
    with pytest.raises(AuctionNotEnded, match="still open"):
        auction_report(AuctionReportRequest(auction.id), envelopes_of(*events, *story(auction)))


def test_no_events_or_another_aggregates_events_are_no_auction() -> None:
    missing = uuid4()
    with pytest.raises(AuctionNotFound, match=f"no auction {missing}"):
        auction_report(AuctionReportRequest(missing), [])
    product = Product.register(
        sku="W-1", serial_number="SN-1", name="Watch", manufacturer="Maker", prov=prov("maker")
    )
    with pytest.raises(AuctionNotFound):
        auction_report(AuctionReportRequest(product.id), envelopes_of(*story(product)))
