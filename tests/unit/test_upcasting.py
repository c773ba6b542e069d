"""AuctionOpened v1 → v2: stored v1 events gain the fixed two-minute anti-sniping terms."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Mapper,
    StoredEvent,
    UUIDAsHex,
)

from domain.auction import DEFAULT_EXTENSION_SECONDS, DEFAULT_EXTENSION_WINDOW_SECONDS, Auction
from domain.envelope import envelope_of
from tests.unit.support import AuctionTerms, prov, uid

NEW_FIELDS = ("extension_window_seconds", "extension_seconds")


def mapper() -> Mapper[UUID]:
    transcoder = JSONTranscoder()
    transcoder.register(UUIDAsHex())
    transcoder.register(DecimalAsStr())
    transcoder.register(DatetimeAsISO())
    return Mapper(transcoder=transcoder)


def opened_event(window: int = 30, extension: int = 45) -> Auction.Opened:
    terms = AuctionTerms(
        reserve_price=Decimal("250.00"),
        min_increment=Decimal("10.00"),
        currency="CHF",
        extension_window_seconds=window,
        extension_seconds=extension,
    )
    auction = Auction.open(
        auction_id=uuid4(),
        product_id=uuid4(),
        reserve_price=terms.reserve_price,
        min_increment=terms.min_increment,
        currency=terms.currency,
        starts_at=terms.starts_at,
        ends_at=terms.ends_at,
        extension_window_seconds=terms.extension_window_seconds,
        extension_seconds=terms.extension_seconds,
        prov=prov(uid("seller")),
    )
    (event,) = auction.collect_events()
    assert isinstance(event, Auction.Opened)
    return event


def as_v1(stored: StoredEvent, added_in_v2: tuple[str, ...] = NEW_FIELDS) -> StoredEvent:
    """What a v1 writer stored: without the fields v2 added (by default the anti-sniping
    terms) and without a class_version key."""
    state: dict[str, Any] = json.loads(stored.state)
    assert state.pop("class_version") == 2
    for name in added_in_v2:
        del state[name]
    return replace(stored, state=json.dumps(state).encode("utf8"))


def test_the_opened_event_is_at_version_two() -> None:
    assert Auction.Opened.class_version == 2


def test_upcast_v1_v2_adds_the_fixed_two_minute_terms_and_keeps_the_rest() -> None:
    state: dict[str, Any] = {"currency": "EUR", "reserve_price": Decimal("10.00")}

    Auction.Opened.upcast_v1_v2(state)

    assert state == {
        "currency": "EUR",
        "reserve_price": Decimal("10.00"),
        "extension_window_seconds": 120,
        "extension_seconds": 120,
    }
    assert DEFAULT_EXTENSION_WINDOW_SECONDS == DEFAULT_EXTENSION_SECONDS == 120


def test_a_v2_event_is_stored_with_its_class_version_and_terms() -> None:
    stored = mapper().to_stored_event(opened_event(window=30, extension=45))
    state = json.loads(stored.state)
    assert stored.topic == "AuctionOpened"
    assert state["class_version"] == 2
    assert (state["extension_window_seconds"], state["extension_seconds"]) == (30, 45)


def test_a_v2_event_round_trips_without_being_upcast() -> None:
    event = opened_event(window=30, extension=45)
    the_mapper = mapper()

    decoded = the_mapper.to_domain_event(the_mapper.to_stored_event(event))

    assert isinstance(decoded, Auction.Opened)
    assert (decoded.extension_window_seconds, decoded.extension_seconds) == (30, 45)
    assert vars(decoded) == vars(event)


def test_a_stored_v1_event_is_decoded_with_the_v1_defaults() -> None:
    event = opened_event(window=30, extension=45)
    the_mapper = mapper()
    stored_v1 = as_v1(the_mapper.to_stored_event(event))
    assert b"extension_seconds" not in stored_v1.state
    assert b"class_version" not in stored_v1.state

    decoded = the_mapper.to_domain_event(stored_v1)

    assert isinstance(decoded, Auction.Opened)
    assert decoded.extension_window_seconds == 120
    assert decoded.extension_seconds == 120
    # Everything a v1 event did carry comes back intact and typed.
    assert decoded.originator_id == event.originator_id
    assert decoded.originator_version == 1
    assert decoded.reserve_price == Decimal("250.00")
    assert isinstance(decoded.reserve_price, Decimal)
    assert decoded.min_increment == Decimal("10.00")
    assert decoded.currency == "CHF"
    assert decoded.product_id == event.product_id
    assert decoded.ends_at == event.ends_at
    assert decoded.correlation_id == event.correlation_id
    assert envelope_of(decoded, position=1)["schema_version"] == 2


def test_an_auction_replayed_from_a_v1_event_snipes_with_two_minutes() -> None:
    the_mapper = mapper()
    decoded = the_mapper.to_domain_event(as_v1(the_mapper.to_stored_event(opened_event(0, 0))))
    assert isinstance(decoded, Auction.Opened)

    auction: Auction | None = decoded.mutate(None)

    assert isinstance(auction, Auction)
    assert (auction.extension_window_seconds, auction.extension_seconds) == (120, 120)
    end = auction.ends_at
    late = end - timedelta(seconds=60)
    auction.place_bid(amount=Decimal("250"), currency="CHF", prov=prov(uid("bidder"), late))
    # v1 auctions always had the two-minute rule, whatever the v2 event had said.
    assert auction.ends_at == late + timedelta(seconds=120)


def test_a_v1_event_decodes_to_what_a_v2_writer_with_default_terms_stores() -> None:
    the_mapper = mapper()
    default_terms = opened_event(window=120, extension=120)

    from_v1 = the_mapper.to_domain_event(as_v1(the_mapper.to_stored_event(default_terms)))

    assert isinstance(from_v1, Auction.Opened)
    assert vars(from_v1) == vars(default_terms)
