"""The in-memory fold of the read model: the rows and Redis state that a whole history
implies, equal to what the live projections build one event at a time."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from domain.auction import Auction
from domain.envelope import envelope_of
from domain.event_base import VeraEvent
from domain.provenance import Provenance
from projections.fold import LiveState, ReadModelFold
from projections.live_model import TOP_BIDS_KEPT, cents, live_update
from projections.read_rows import Envelope, Row, VersionGap, handled_event_types, project
from tests.support.event_story import BUYER, START, product_life_events


def envelopes(events: Sequence[VeraEvent], first_position: int = 1) -> list[Envelope]:
    return [envelope_of(event, first_position + i) for i, event in enumerate(events)]


def auction_with_bids(count: int) -> list[VeraEvent]:
    """An auction with `count` bids from seven bidders, decided by the domain."""

    def prov(actor: str, seconds: int) -> Provenance:
        return Provenance(actor, START + timedelta(seconds=seconds), uuid4(), uuid4())

    auction = Auction.open(
        auction_id=uuid4(),
        product_id=uuid4(),
        reserve_price=Decimal("100.00"),
        min_increment=Decimal("1.00"),
        currency="EUR",
        starts_at=START,
        ends_at=START + timedelta(days=1),
        prov=prov("seller", 0),
    )
    for i in range(count):
        auction.place_bid(
            amount=auction.minimum_next_bid() + Decimal(i % 3),
            currency="EUR",
            prov=prov(f"bidder-{i % 7}", i + 1),
        )
    events = auction.collect_events()
    assert all(isinstance(e, VeraEvent) for e in events)
    return [e for e in events if isinstance(e, VeraEvent)]


def folded(history: Sequence[Envelope]) -> ReadModelFold:
    fold = ReadModelFold()
    for envelope in history:
        fold.apply(envelope)
    return fold


def live_model_one_event_at_a_time(history: Sequence[Envelope]) -> dict[str, LiveState]:
    """What the live projections leave in Redis: each event's row from the previous row,
    its LiveUpdate's fields written over the hash, its bid added to the sorted set and the
    set trimmed right away to the highest TOP_BIDS_KEPT by (score, member)."""
    rows: dict[str, Row] = {}
    states: dict[str, LiveState] = {}
    for envelope in history:
        aggregate_id = envelope["aggregate_id"]
        projected = project(envelope, rows.get(aggregate_id))
        assert projected is not None
        rows[aggregate_id] = projected.row
        update = live_update(envelope, projected.row)
        if update is None:
            continue
        state = states.setdefault(
            aggregate_id, LiveState(envelope["aggregate_type"], aggregate_id, {}, {})
        )
        state.fields.update(update.fields)
        if update.top_bid is not None:
            member, score = update.top_bid
            state.top_bids[member] = score
            kept = sorted(state.top_bids.items(), key=lambda item: (item[1], item[0]))
            state.top_bids.clear()
            state.top_bids.update(kept[-TOP_BIDS_KEPT:])
    return states


def test_the_story_covers_every_event_type_the_read_model_handles() -> None:
    assert {e["type"] for e in envelopes(product_life_events())} == handled_event_types()


def test_a_whole_life_folds_into_the_rows_it_implies() -> None:
    history = envelopes(product_life_events())
    fold = folded(history)

    [product] = fold.rows("products").values()
    assert product["owner_id"] == BUYER
    assert product["verification_status"] == "AUTHENTIC"
    assert product["valid_certificate_id"] is None  # revoked, then withdrawn
    assert product["open_auction_id"] is None
    [verification] = fold.rows("verifications").values()
    assert (verification["stage"], verification["verdict"]) == ("CONCLUDED", "AUTHENTIC")
    assert verification["ai_score"] == Decimal("0.97")
    [certificate] = fold.rows("certificates").values()
    assert certificate["status"] == "REVOKED"
    auctions = fold.rows("auctions").values()
    assert sorted((a["status"], a["winner_id"] or "-") for a in auctions) == [
        ("CANCELLED", "-"),
        ("CLOSED", "-"),
        ("CLOSED", BUYER),
    ]
    [bid] = fold.rows("bids").values()
    assert bid["amount"] == Decimal("1250.00")

    # Each row stands at its aggregate's last event.
    for table in ("products", "verifications", "certificates", "auctions"):
        for row_id, row in fold.rows(table).items():
            own = [e for e in history if e["aggregate_id"] == row_id]
            assert (row["version"], row["position"]) == (len(own), own[-1]["position"])
    assert (fold.position, fold.seen, fold.applied) == (len(history), len(history), len(history))


def test_redis_state_equals_the_live_projection_one_event_at_a_time() -> None:
    history = envelopes([*product_life_events(), *auction_with_bids(3 * TOP_BIDS_KEPT)])
    fold = folded(history)

    expected = live_model_one_event_at_a_time(history)
    actual = {state.aggregate_id: state for state in fold.live_states()}
    assert actual == expected
    assert {s.aggregate_type for s in actual.values()} == {"Product", "Verification", "Auction"}


def test_top_bids_keep_the_highest_and_ties_are_broken_by_member_as_redis_does() -> None:
    history = envelopes(auction_with_bids(TOP_BIDS_KEPT + 60))
    # Make many bids tie around the cut: the member (its JSON) then decides, as in Redis.
    for envelope in history:
        if envelope["type"] == "BidPlaced" and envelope["aggregate_version"] % 2 == 0:
            envelope["data"]["amount"] = "150.00"
    fold = folded(history)

    [state] = fold.live_states()
    assert len(state.top_bids) == TOP_BIDS_KEPT
    assert state == live_model_one_event_at_a_time(history)[state.aggregate_id]
    scores = sorted(state.top_bids.values())
    assert scores[0] == cents(Decimal("150.00"))


def test_keys_are_named_by_the_live_model_under_any_prefix() -> None:
    fold = folded(envelopes(auction_with_bids(2)))
    [state] = fold.live_states()
    assert state.key() == f"verachain:auction:{state.aggregate_id}"
    assert state.bids_key("test") == f"test:auction:{state.aggregate_id}:bids"
    assert state.version == 3


def test_a_redelivered_envelope_changes_nothing() -> None:
    history = envelopes(product_life_events())
    fold = folded(history)
    before = {t: copy.deepcopy(dict(fold.rows(t))) for t in ("products", "auctions", "bids")}
    states = list(fold.live_states())

    for envelope in history[:5] + history[-3:]:
        assert fold.apply(envelope) is None

    assert {t: dict(fold.rows(t)) for t in before} == before
    assert list(fold.live_states()) == states
    assert fold.applied == len(history)


def test_a_skipped_version_is_a_gap() -> None:
    history = envelopes(auction_with_bids(3))
    fold = ReadModelFold()
    fold.apply(history[0])
    with pytest.raises(VersionGap) as gap:
        fold.apply(history[2])
    assert (gap.value.have, gap.value.got) == (1, 3)
