"""ProductRegistered v1 → v2: products registered before the catalogue had a category or a
manufacture date decode with both null, keep their v1 envelope as recorded, and project
nulls into the read model; v2 events keep what the manufacturer stated."""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import jsonschema
from eventsourcing.persistence import Mapper, StoredEvent

from commands.store import DateAsISO
from domain.envelope import envelope_of, recorded_envelope, upcast_envelope
from domain.product import Product
from projections.read_rows import project
from streams.event_schemas import SCHEMA_DIRECTORY
from tests.unit import test_upcasting as upcasting
from tests.unit.support import prov, uid

NEW_FIELDS = ("category", "manufactured_on")
MADE_ON = date(2019, 5, 1)


def mapper() -> Mapper[UUID]:
    """The upcasting tests' mapper with the event store's date transcoding."""
    the_mapper = upcasting.mapper()
    the_mapper.transcoder.register(DateAsISO())  # type: ignore[attr-defined]
    return the_mapper


def registered_event(
    category: str | None = "art", manufactured_on: date | None = MADE_ON
) -> Product.Registered:
    product = Product.register(
        sku="W-42",
        serial_number=f"SN-{uuid4().hex}",
        name="Chronograph watch",
        manufacturer="Aurelia",
        prov=prov(uid("maker")),
        category=category,
        manufactured_on=manufactured_on,
    )
    (event,) = product.collect_events()
    assert isinstance(event, Product.Registered)
    return event


def as_v1(stored: StoredEvent) -> StoredEvent:
    """What a v1 writer stored: no category, no date, no class_version key."""
    return upcasting.as_v1(stored, NEW_FIELDS)


def recorded(stored: StoredEvent, event: Product.Registered, position: int = 7) -> Any:
    state = mapper().transcoder.decode(stored.state)
    return recorded_envelope(
        Product.Registered, event.originator_id, event.originator_version, state, position
    )


def test_the_registered_event_is_at_version_two() -> None:
    assert Product.Registered.class_version == 2


def test_upcast_v1_v2_adds_nulls_and_keeps_the_rest() -> None:
    state: dict[str, Any] = {"sku": "W-42", "name": "Chronograph watch"}

    Product.Registered.upcast_v1_v2(state)

    assert state == {
        "sku": "W-42",
        "name": "Chronograph watch",
        "category": None,
        "manufactured_on": None,
    }


def test_a_v2_event_is_stored_with_its_version_and_an_iso_day() -> None:
    stored = mapper().to_stored_event(registered_event())
    state = json.loads(stored.state)
    assert stored.topic == "ProductRegistered"
    assert state["class_version"] == 2
    assert state["category"] == "art"
    assert state["manufactured_on"] == {"_type_": "date_iso", "_data_": "2019-05-01"}


def test_a_v2_event_round_trips_with_what_was_stated() -> None:
    event = registered_event()
    the_mapper = mapper()

    decoded = the_mapper.to_domain_event(the_mapper.to_stored_event(event))

    assert isinstance(decoded, Product.Registered)
    assert vars(decoded) == vars(event)
    assert type(decoded.manufactured_on) is date


def test_a_stored_v1_event_decodes_with_nothing_stated() -> None:
    event = registered_event()
    the_mapper = mapper()
    stored_v1 = as_v1(the_mapper.to_stored_event(event))
    assert b"category" not in stored_v1.state
    assert b"class_version" not in stored_v1.state

    decoded = the_mapper.to_domain_event(stored_v1)

    assert isinstance(decoded, Product.Registered)
    assert (decoded.category, decoded.manufactured_on) == (None, None)
    assert {k: v for k, v in vars(decoded).items() if k not in NEW_FIELDS} == {
        k: v for k, v in vars(event).items() if k not in NEW_FIELDS
    }
    product: Product | None = decoded.mutate(None)
    assert isinstance(product, Product)
    assert (product.category, product.manufactured_on) == (None, None)
    assert product.sku == "W-42"
    assert envelope_of(decoded, position=1)["schema_version"] == 2


def test_a_stored_v1_event_keeps_its_v1_envelope_and_upcasts_to_the_decoded_events() -> None:
    event = registered_event()
    the_mapper = mapper()
    stored_v1 = as_v1(the_mapper.to_stored_event(event))

    as_recorded = recorded(stored_v1, event)

    assert as_recorded["schema_version"] == 1
    assert not set(NEW_FIELDS) & set(as_recorded["data"])
    v1_schema = json.loads((SCHEMA_DIRECTORY / "ProductRegistered.v1.json").read_text())
    jsonschema.Draft202012Validator(v1_schema).validate(as_recorded)
    upcast = upcast_envelope(as_recorded)
    assert upcast == envelope_of(the_mapper.to_domain_event(stored_v1), 7)  # type: ignore[arg-type]
    assert upcast["data"]["category"] is None


def test_a_v2_envelope_carries_the_day_as_iso_text() -> None:
    event = registered_event()
    envelope = envelope_of(event, position=3)
    assert recorded(mapper().to_stored_event(event), event, 3) == envelope
    assert envelope["data"]["category"] == "art"  # type: ignore[index,call-overload]
    assert envelope["data"]["manufactured_on"] == "2019-05-01"  # type: ignore[index,call-overload]


def test_the_read_model_holds_what_was_stated_or_nulls_for_v1() -> None:
    event = registered_event()
    the_mapper = mapper()
    v1_stored = as_v1(the_mapper.to_stored_event(event))

    stated = project(envelope_of(event, position=1), None)
    from_v1_event = project(envelope_of(the_mapper.to_domain_event(v1_stored), 1), None)  # type: ignore[arg-type]
    from_v1_envelope = project(recorded(v1_stored, event, 1), None)

    assert stated is not None
    assert stated.table == "products"
    assert (stated.row["category"], stated.row["manufactured_on"]) == ("art", MADE_ON)
    assert type(stated.row["manufactured_on"]) is date  # the date column's own type
    for projected in (from_v1_event, from_v1_envelope):
        assert projected is not None
        assert (projected.row["category"], projected.row["manufactured_on"]) == (None, None)
        assert projected.row["sku"] == "W-42"


def test_a_v2_event_with_nothing_stated_projects_nulls() -> None:
    projected = project(envelope_of(registered_event(None, None), position=1), None)
    assert projected is not None
    assert (projected.row["category"], projected.row["manufactured_on"]) == (None, None)
