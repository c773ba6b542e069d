"""BidFlagged: a known bid of the auction, flagged once; the auction remembers its bids'
ids, in snapshots too (and in snapshots taken before it did)."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.domain import Snapshot
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Mapper,
    StoredEvent,
    UUIDAsHex,
)

from commands.store import FrozensetAsList
from domain.auction import Auction, bid_id_for
from domain.errors import BidAlreadyFlagged, NotFound, ValidationFailed
from domain.statuses import AuctionStatus
from tests.unit.support import END, T0, bid, opened_auction, pending, prov, saved

MODEL_SHA = "d" * 64


def flag(auction: Auction, bid_id: UUID, **overrides: Any) -> None:
    arguments: dict[str, Any] = {
        "bid_id": bid_id,
        "score": Decimal("0.873"),
        "threshold": Decimal("0.5"),
        "reason": "  shill pattern: rapid increments against one seller  ",
        "model_name": "bid-anomaly",
        "model_version": "1.0.0",
        "model_sha256": MODEL_SHA,
        "prov": prov("system-bid-scorer", T0 + timedelta(minutes=2)),
    }
    arguments.update(overrides)
    auction.flag_bid(**arguments)


def auction_with_bids(count: int = 2) -> tuple[Auction, list[UUID]]:
    auction = opened_auction()
    ids = [bid(auction, str(100 + 5 * n)) for n in range(count)]
    return saved(auction), ids


def test_a_placed_bid_is_remembered() -> None:
    auction, ids = auction_with_bids(3)

    assert auction.bid_ids == frozenset(ids)
    assert auction.flagged_bid_ids == frozenset()


def test_flagging_records_the_score_the_model_and_who() -> None:
    auction, (first, _) = auction_with_bids()

    flag(auction, first)

    (event,) = pending(auction)
    assert isinstance(event, Auction.BidFlagged)
    assert event.bid_id == first
    assert (event.score, event.threshold) == (Decimal("0.873"), Decimal("0.5"))
    assert event.reason == "shill pattern: rapid increments against one seller"
    assert (event.model_name, event.model_version, event.model_sha256) == (
        "bid-anomaly",
        "1.0.0",
        MODEL_SHA,
    )
    assert event.flagged_by == "system-bid-scorer"
    assert auction.flagged_bid_ids == {first}
    assert auction.bid_count == 2  # the bid stands


def test_an_unknown_bid_is_not_found() -> None:
    auction, _ = auction_with_bids()
    _, (foreign,) = auction_with_bids(1)

    for bid_id in (uuid4(), foreign):
        with pytest.raises(NotFound):
            flag(auction, bid_id)
    assert pending(auction) == []


def test_a_bid_is_flagged_once() -> None:
    auction, (first, second) = auction_with_bids()
    flag(auction, first)
    saved(auction)

    with pytest.raises(BidAlreadyFlagged) as refused:
        flag(auction, first)

    assert refused.value.code == "VALIDATION_FAILED"
    assert refused.value.survives_newer_state
    assert pending(auction) == []
    flag(auction, second)  # another bid still can be
    assert auction.flagged_bid_ids == {first, second}


def test_a_closed_auctions_bid_can_still_be_flagged() -> None:
    auction, (first, _) = auction_with_bids()
    auction.close(prov("clock", END))
    saved(auction)
    assert auction.status is AuctionStatus.CLOSED

    flag(auction, first)

    assert auction.flagged_bid_ids == {first}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"score": Decimal("NaN")}, "score"),
        ({"threshold": Decimal("Infinity")}, "threshold"),
        ({"reason": "  "}, "reason"),
        ({"reason": "x" * 501}, "reason"),
        ({"model_name": ""}, "modelName"),
        ({"model_version": "v" * 101}, "modelVersion"),
        ({"model_sha256": "D" * 64}, "modelSha256"),
    ],
)
def test_bad_flags_are_refused_with_the_field_named(overrides: dict[str, Any], field: str) -> None:
    auction, (first, _) = auction_with_bids()

    with pytest.raises(ValidationFailed) as refused:
        flag(auction, first, **overrides)

    assert refused.value.details["field"] == field
    assert pending(auction) == []


# -- snapshots ---------------------------------------------------------------------------------


def snapshot_mapper() -> Mapper[UUID]:
    transcoder = JSONTranscoder()
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO(), FrozensetAsList()):
        transcoder.register(transcoding)
    return Mapper(transcoder=transcoder)


def restore(codec: Mapper[UUID], stored: StoredEvent) -> Auction:
    snapshot = codec.to_domain_event(stored)
    assert isinstance(snapshot, Snapshot)
    restored = snapshot.mutate(None)
    assert isinstance(restored, Auction)
    return restored


def test_a_snapshot_keeps_the_bid_ids_and_flags() -> None:
    auction, (first, second) = auction_with_bids()
    flag(auction, first)
    saved(auction)
    codec = snapshot_mapper()

    restored = restore(codec, codec.to_stored_event(Snapshot.take(auction)))

    assert isinstance(restored, Auction)
    assert restored.bid_ids == {first, second}
    assert restored.flagged_bid_ids == {first}
    with pytest.raises(BidAlreadyFlagged):
        flag(restored, first)


def test_a_snapshot_from_before_bid_ids_takes_every_later_version_as_a_bid() -> None:
    auction, ids = auction_with_bids(3)
    codec = snapshot_mapper()
    stored = codec.to_stored_event(Snapshot.take(auction))
    snapshot: dict[str, Any] = json.loads(stored.state)
    state = snapshot["state"]  # the aggregate's own state, beside the snapshot's fields
    assert state.pop("class_version") == 2
    del state["bid_ids"], state["flagged_bid_ids"]
    v1 = type(stored)(
        originator_id=stored.originator_id,
        originator_version=stored.originator_version,
        topic=stored.topic,
        state=json.dumps(snapshot).encode(),
    )

    restored = restore(codec, v1)

    assert isinstance(restored, Auction)
    assert restored.bid_ids >= set(ids)
    assert restored.bid_ids == {bid_id_for(auction.id, v) for v in range(2, auction.version + 1)}
    assert restored.flagged_bid_ids == frozenset()
    flag(restored, ids[0])
    assert restored.flagged_bid_ids == {ids[0]}
