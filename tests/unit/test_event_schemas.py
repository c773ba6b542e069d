"""The committed JSON Schemas match the event classes, and real envelopes validate."""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from domain.catalog import TOPIC_BY_AGGREGATE, event_types
from domain.envelope import JsonValue, envelope_of
from domain.event_base import VeraEvent
from streams.event_schemas import (
    SCHEMA_DIRECTORY,
    describe_topics,
    load_schema,
    render,
    schema_file_name,
    schema_path,
    schema_version_of,
    write_all,
)
from streams.field_schemas import field_schema
from tests.support.event_story import product_life_events

REGENERATE = "regenerate with `.venv/bin/python -m streams.event_schemas` and commit the files"
ALL_TYPES = event_types()


def _validator(event_type: type[VeraEvent]) -> Draft202012Validator:
    schema = load_schema(event_type)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _as_published(event: VeraEvent, position: int) -> dict[str, Any]:
    """The envelope after the trip through Kafka: JSON text and back."""
    published: dict[str, Any] = json.loads(json.dumps(envelope_of(event, position)))
    return published


@pytest.fixture(scope="module")
def story_events() -> Sequence[VeraEvent]:
    return product_life_events()


# -- the files --------------------------------------------------------------------------------


@pytest.mark.parametrize("event_type", ALL_TYPES, ids=lambda t: t.TOPIC)
def test_every_event_type_has_a_committed_schema(event_type: type[VeraEvent]) -> None:
    assert schema_path(event_type).is_file(), f"{schema_path(event_type)} is missing; {REGENERATE}"


@pytest.mark.parametrize("event_type", ALL_TYPES, ids=lambda t: t.TOPIC)
def test_committed_schema_is_what_the_generator_produces(event_type: type[VeraEvent]) -> None:
    committed = schema_path(event_type).read_text(encoding="utf-8")
    assert committed == render(event_type), f"{schema_path(event_type)} is stale; {REGENERATE}"


def test_other_schema_files_are_older_versions_of_known_types() -> None:
    current = {schema_file_name(t): t for t in ALL_TYPES}
    versions = {t.TOPIC: schema_version_of(t) for t in ALL_TYPES}
    for path in SCHEMA_DIRECTORY.glob("*.json"):
        if path.name in current:
            continue
        type_name, _, version = path.name.removesuffix(".json").rpartition(".v")
        assert type_name in versions, f"{path.name} names no event type"
        assert int(version) < versions[type_name], f"{path.name} is newer than its event class"


def test_write_all_writes_one_file_per_event_type(tmp_path: Path) -> None:
    written = write_all(tmp_path)
    assert sorted(p.name for p in written) == sorted(schema_file_name(t) for t in ALL_TYPES)
    for path, event_type in zip(written, ALL_TYPES, strict=True):
        assert path.read_text(encoding="utf-8") == render(event_type)


def test_describe_topics_names_every_event_type_once() -> None:
    described = describe_topics()
    assert [topic for topic, *_ in described] == list(dict.fromkeys(TOPIC_BY_AGGREGATE.values()))
    names = [name for _, _, topic_names, _ in described for name in topic_names]
    assert sorted(names) == sorted(t.TOPIC for t in ALL_TYPES)
    for topic, key, topic_names, paths in described:
        assert key == "aggregate id"
        assert paths == [f"streams/schemas/{n}" for n in map(_file_of, topic_names)]
        assert all(load_schema(_type_of(n))["x-kafka-topic"] == topic for n in topic_names)


def _type_of(name: str) -> type[VeraEvent]:
    return next(t for t in ALL_TYPES if name == t.TOPIC)


def _file_of(name: str) -> str:
    return schema_file_name(_type_of(name))


# -- the envelopes ----------------------------------------------------------------------------


def test_the_story_raises_every_event_type(story_events: Sequence[VeraEvent]) -> None:
    """A new event type fails here until the story (tests/support/event_story.py) raises it."""
    raised = {type(event).TOPIC for event in story_events}
    assert raised == {t.TOPIC for t in ALL_TYPES}


@pytest.mark.parametrize("event_type", ALL_TYPES, ids=lambda t: t.TOPIC)
def test_published_envelopes_validate_against_their_schema(
    event_type: type[VeraEvent], story_events: Sequence[VeraEvent]
) -> None:
    validator = _validator(event_type)
    envelopes = [
        _as_published(event, position)
        for position, event in enumerate(story_events, start=1)
        if type(event) is event_type
    ]
    assert envelopes, f"the story raises no {event_type.TOPIC}"
    for envelope in envelopes:
        errors = [error.message for error in validator.iter_errors(envelope)]
        assert errors == [], f"{event_type.TOPIC}: {errors}"


# -- what must not validate -------------------------------------------------------------------


@pytest.fixture
def bid_envelope(story_events: Sequence[VeraEvent]) -> dict[str, Any]:
    bid = next(e for e in story_events if type(e).TOPIC == "BidPlaced")
    return _as_published(bid, 42)


def _bid_errors(envelope: dict[str, Any]) -> list[str]:
    return [error.message for error in _validator(_type_of("BidPlaced")).iter_errors(envelope)]


def test_the_unmodified_bid_envelope_is_valid(bid_envelope: dict[str, Any]) -> None:
    assert _bid_errors(bid_envelope) == []


@pytest.mark.parametrize(
    "amount", [1250.0, 1250, "1.25E+3", "1250.", None], ids=["float", "int", "exp", "dot", "null"]
)
def test_money_is_a_decimal_string(bid_envelope: dict[str, Any], amount: JsonValue) -> None:
    bid_envelope["data"]["amount"] = amount
    assert _bid_errors(bid_envelope) != []


def test_a_missing_data_field_fails(bid_envelope: dict[str, Any]) -> None:
    del bid_envelope["data"]["currency"]
    assert _bid_errors(bid_envelope) != []


def test_an_extra_data_field_fails(bid_envelope: dict[str, Any]) -> None:
    bid_envelope["data"]["note"] = "hello"
    assert _bid_errors(bid_envelope) != []


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("type", "AuctionOpened"),
        ("schema_version", 2),
        ("aggregate_type", "Product"),
        ("aggregate_id", "not-a-uuid"),
        ("aggregate_version", 0),
        ("position", "42"),
        ("occurred_at", "2026-11-26T12:00:00+00:00"),
    ],
)
def test_a_wrong_envelope_field_fails(
    bid_envelope: dict[str, Any], key: str, value: JsonValue
) -> None:
    bid_envelope[key] = value
    assert _bid_errors(bid_envelope) != []


def test_missing_metadata_fails(bid_envelope: dict[str, Any]) -> None:
    del bid_envelope["metadata"]["causation_id"]
    assert _bid_errors(bid_envelope) != []


def test_a_field_type_without_a_mapping_is_refused() -> None:
    with pytest.raises(TypeError, match="float"):
        field_schema(float)
    with pytest.raises(TypeError):
        field_schema(int | str)


def test_optional_fields_accept_null_and_their_type_only() -> None:
    schema = {"type": "object", "properties": {"amount": field_schema(Decimal | None)}}
    validator = Draft202012Validator(schema)
    assert validator.is_valid({"amount": None})
    assert validator.is_valid({"amount": "12.50"})
    assert not validator.is_valid({"amount": 12.5})
