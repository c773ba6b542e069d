"""RecordAIAssessment with the v2 findings, and FlagBid, through their handlers."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from uuid import UUID, uuid4

from commands.actor import Actor, Role
from commands.messages import PlaceBid, RequestVerification
from domain.auction import Auction
from domain.verification import ModelRef, Verification
from tests.unit.handler_support import DURING, Cast, ai_command, flag_command, only
from tests.unit.support import SYSTEM, World, image_hash

ADMIN = Actor.of("admin-1", Role.ADMIN)


def requested(world: World, cast: Cast, *hashes: str) -> UUID:
    product_id = world.registered(cast.maker)
    command = RequestVerification(product_id=product_id, image_hashes=hashes)
    outcome = world.run(command, cast.maker).outcome
    assert outcome is not None
    return UUID(outcome.ids["verificationId"])


def test_the_handler_records_every_v2_finding() -> None:
    cast, world = Cast(), World()
    front, back = image_hash(), image_hash()
    verification_id = requested(world, cast, front, back)
    base = ai_command(verification_id)
    ocr: ModelRef = {"name": "ppocr", "version": "5", "sha256": image_hash()}
    authenticity: ModelRef = {
        "name": base.model_name,
        "version": base.model_version,
        "sha256": base.model_sha256,
    }
    command = replace(
        base,
        quality_grade=2,
        ocr_text="SN 42",
        serial_match=False,
        models=(authenticity, ocr),
        input_hashes=(front, back),
    )

    attempt = world.run(command, SYSTEM)

    event = only(attempt.events, Verification.AIAssessmentRecorded)
    assert (event.quality_grade, event.ocr_text, event.serial_match) == (2, "SN 42", False)
    assert event.models == [authenticity, ocr]
    assert event.input_hashes == [front, back]


def test_a_bad_finding_is_refused_and_changes_nothing() -> None:
    cast, world = Cast(), World()
    verification_id = requested(world, cast, image_hash())

    error = world.refuse(replace(ai_command(verification_id), quality_grade=9), SYSTEM)

    assert error.code == "VALIDATION_FAILED"
    assert error.details["field"] == "qualityGrade"


def auction_with_bid(world: World, cast: Cast) -> tuple[UUID, UUID]:
    _, auction_id = world.auction_opened(cast.maker, cast.inspector)
    placed = world.run(PlaceBid(auction_id=auction_id, amount=Decimal("100")), cast.bidder, DURING)
    assert placed.outcome is not None
    return auction_id, UUID(placed.outcome.ids["bidId"])


def test_the_system_flags_a_bid() -> None:
    cast, world = Cast(), World()
    auction_id, bid_id = auction_with_bid(world, cast)

    attempt = world.run(flag_command(auction_id, bid_id), SYSTEM, DURING)

    event = only(attempt.events, Auction.BidFlagged)
    assert event.bid_id == bid_id
    assert event.score == Decimal("0.92")
    assert event.flagged_by == SYSTEM.id
    assert attempt.outcome is not None
    assert attempt.outcome.ids == {"auctionId": str(auction_id), "bidId": str(bid_id)}
    assert world.get(Auction, auction_id).flagged_bid_ids == {bid_id}


def test_an_admin_may_flag_a_bid_too() -> None:
    cast, world = Cast(), World()
    auction_id, bid_id = auction_with_bid(world, cast)

    assert world.run(flag_command(auction_id, bid_id), ADMIN, DURING).events


def test_a_bid_flagged_twice_is_refused_the_second_time() -> None:
    cast, world = Cast(), World()
    auction_id, bid_id = auction_with_bid(world, cast)
    world.run(flag_command(auction_id, bid_id), SYSTEM, DURING)

    error = world.refuse(flag_command(auction_id, bid_id), SYSTEM, DURING)

    assert error.code == "VALIDATION_FAILED"
    assert type(error).__name__ == "BidAlreadyFlagged"
    assert error.details == {"bid_id": str(bid_id), "auction_id": str(auction_id)}


def test_an_unknown_bid_is_not_found() -> None:
    cast, world = Cast(), World()
    auction_id, _ = auction_with_bid(world, cast)

    error = world.refuse(flag_command(auction_id, uuid4()), SYSTEM, DURING)

    assert error.code == "NOT_FOUND"


def test_a_bid_of_another_auction_is_not_found() -> None:
    cast, world = Cast(), World()
    auction_id, _ = auction_with_bid(world, cast)
    _, other_bid = auction_with_bid(world, Cast())

    assert world.refuse(flag_command(auction_id, other_bid), SYSTEM, DURING).code == "NOT_FOUND"


def test_a_bidder_may_not_flag() -> None:
    cast, world = Cast(), World()
    auction_id, bid_id = auction_with_bid(world, cast)

    error = world.refuse(flag_command(auction_id, bid_id), cast.bidder2, DURING)

    assert error.code == "FORBIDDEN"
