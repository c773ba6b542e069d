"""Envelopes are written as recorded: a stored v1 event keeps its v1 envelope (what Kafka
carried and the audit log hashed) even after its class moved to v2, and readers upcast it
to the same envelope the upcast domain event has."""

from __future__ import annotations

import json
from typing import Any

import jsonschema

from domain.envelope import envelope_of, recorded_envelope, upcast_envelope
from projections.jcs import canonical_json
from projections.read_rows import project
from streams.event_schemas import SCHEMA_DIRECTORY
from tests.unit.test_upcasting import NEW_FIELDS, as_v1, mapper, opened_event


def _recorded(state: bytes, event: Any, position: int = 7) -> dict[str, Any]:
    decoded = mapper().transcoder.decode(state)
    return recorded_envelope(
        type(event), event.originator_id, event.originator_version, decoded, position
    )


def test_a_current_event_has_the_same_envelope_from_its_object_and_from_its_stored_state() -> None:
    event = opened_event(window=30, extension=45)
    stored = mapper().to_stored_event(event)
    assert _recorded(stored.state, event) == envelope_of(event, 7)


def test_a_stored_v1_event_keeps_its_v1_envelope() -> None:
    event = opened_event(window=30, extension=45)
    stored_v1 = as_v1(mapper().to_stored_event(event))

    recorded = _recorded(stored_v1.state, event)

    assert recorded["schema_version"] == 1
    assert not set(NEW_FIELDS) & set(recorded["data"])
    v1_schema = json.loads((SCHEMA_DIRECTORY / "AuctionOpened.v1.json").read_text())
    jsonschema.Draft202012Validator(v1_schema).validate(recorded)
    # The audit leaf input does not depend on the code that reads it later.
    assert canonical_json(recorded) == canonical_json(_recorded(stored_v1.state, event))


def test_an_upcast_v1_envelope_is_the_upcast_events_envelope() -> None:
    event = opened_event(window=30, extension=45)
    the_mapper = mapper()
    stored_v1 = as_v1(the_mapper.to_stored_event(event))
    recorded = _recorded(stored_v1.state, event)

    upcast = upcast_envelope(recorded)

    assert upcast == envelope_of(the_mapper.to_domain_event(stored_v1), 7)  # type: ignore[arg-type]
    assert upcast["schema_version"] == 2
    assert recorded["schema_version"] == 1  # the recorded one is left as it was
    current = envelope_of(event, 7)
    assert upcast_envelope(current) is current


def test_the_read_model_applies_a_v1_envelope_with_the_v1_defaults() -> None:
    event = opened_event(window=30, extension=45)
    recorded = _recorded(as_v1(mapper().to_stored_event(event)).state, event)

    projected = project(recorded, None)

    assert projected is not None
    assert projected.row["extension_window_seconds"] == 120
    assert projected.row["extension_seconds"] == 120
