"""Events to e-mails: who is told what, and that a redelivered event tells nobody twice."""

from __future__ import annotations

import uuid
from typing import Any

from streams.notifications.mapping import Memory, Step, notifications_for

AUCTION = str(uuid.uuid4())
VERIFICATION = str(uuid.uuid4())
PRODUCT = str(uuid.uuid4())


def envelope(kind: str, aggregate_id: str, version: int, **data: Any) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "type": kind,
        "aggregate_id": aggregate_id,
        "aggregate_version": version,
        "data": data,
    }


def bid(version: int, bidder: str, amount: str) -> dict[str, Any]:
    return envelope("BidPlaced", AUCTION, version, bidder_id=bidder, amount=amount, currency="EUR")


def fold(events: list[dict[str, Any]]) -> tuple[Memory | None, list[Step]]:
    memory: Memory | None = None
    steps = []
    for event in events:
        step = notifications_for(event, memory)
        memory = step.memory or memory
        steps.append(step)
    return memory, steps


def test_a_higher_bid_tells_the_bidder_it_displaced_and_nobody_else() -> None:
    _, steps = fold([bid(2, "alice", "100.00"), bid(3, "bob", "110.00"), bid(4, "bob", "120.00")])
    assert [len(s.emails) for s in steps] == [0, 1, 0]  # first bid, outbid, raising oneself
    (outbid,) = steps[1].emails
    assert (outbid.template, outbid.recipient_id) == ("outbid", "alice")
    assert AUCTION in outbid.subject
    assert "110.00 EUR" in outbid.body


def test_the_winner_hears_of_it_and_a_sale_without_winner_tells_nobody() -> None:
    closed = envelope(
        "AuctionClosed", AUCTION, 5, winner_id="bob", winning_amount="120.00", currency="EUR"
    )
    (won,) = notifications_for(closed, Memory(4)).emails
    assert (won.template, won.recipient_id, won.subject) == (
        "won",
        "bob",
        f"You won auction {AUCTION}",
    )
    unsold = envelope(
        "AuctionClosed", AUCTION, 5, winner_id=None, winning_amount=None, currency="EUR"
    )
    assert notifications_for(unsold, Memory(4)).emails == []


def test_the_owner_who_asked_hears_the_inspectors_verdict() -> None:
    requested = envelope(
        "VerificationRequested", VERIFICATION, 1, requested_by="owner-1", product_id=PRODUCT
    )
    inspected = envelope(
        "InspectionRecorded", VERIFICATION, 3, inspector_id="insp", verdict="AUTHENTIC", notes=""
    )
    _, steps = fold([requested, inspected])
    (done,) = steps[1].emails
    assert (done.template, done.recipient_id) == ("verification-done", "owner-1")
    assert done.subject == f"Verification of product {PRODUCT}: AUTHENTIC"


def test_a_redelivered_event_changes_nothing_and_ids_are_stable() -> None:
    first, second = bid(2, "alice", "100.00"), bid(3, "bob", "110.00")
    memory, steps = fold([first, second])
    assert notifications_for(second, memory) == Step(None, [])  # already handled
    # Handled again from scratch (memory lost before its commit): the very same job id.
    replay = notifications_for(second, Memory(2, {"highest_bidder": "alice"}))
    assert replay.emails == steps[1].emails


def test_events_that_notify_nobody_are_ignored() -> None:
    assert notifications_for(envelope("ProductRegistered", PRODUCT, 1), None) == Step(None, [])
