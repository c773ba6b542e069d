"""The Kafka envelope of CONTRACT.md: the one JSON shape every consumer of an event sees.

The audit log hashes exactly this (canonicalised), so it is built here, purely, from the
domain event and its global position, and nowhere else."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.catalog import aggregate_type_of, event_type_named
from domain.event_base import BASE_EVENT_FIELDS, VeraEvent

_EVENT_NAMESPACE = uuid5(NAMESPACE_URL, "https://verachain.example/event")

JsonValue = None | bool | int | str | list["JsonValue"] | dict[str, "JsonValue"]


def event_id_for(aggregate_id: UUID, aggregate_version: int) -> UUID:
    """Stable event id: the same stored event always gets the same id, on every replay."""
    return uuid5(_EVENT_NAMESPACE, f"{aggregate_id}/{aggregate_version}")


def format_utc(moment: datetime) -> str:
    """ISO 8601 in UTC with microseconds and a 'Z', e.g. 2026-11-26T12:00:00.000000Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def to_json_value(value: object) -> JsonValue:
    """Money and other decimals become strings, never floats."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")  # plain notation: str() would give "1E-7" for tiny values
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime):
        return format_utc(value)
    if isinstance(value, date):  # after datetime, which is a date too: a day, "2019-05-01"
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [to_json_value(item) for item in value]
    if isinstance(value, dict):
        return {str(k): to_json_value(v) for k, v in value.items()}
    msg = f"no JSON form for {type(value).__name__}"
    raise TypeError(msg)


def envelope_of(event: VeraEvent, position: int) -> dict[str, JsonValue]:
    """The envelope of an event object (always of its class's current version)."""
    event_type = type(event)
    return recorded_envelope(
        event_type,
        event.originator_id,
        event.originator_version,
        {**vars(event), "class_version": current_version(event_type)},
        position,
    )


def recorded_envelope(
    event_type: type[VeraEvent],
    originator_id: UUID,
    originator_version: int,
    state: Mapping[str, Any],
    position: int,
) -> dict[str, JsonValue]:
    """The envelope of an event as it was recorded: `state` is its stored state, decoded but
    not upcast, so an envelope never changes once written, whatever later versions of its
    class add. The audit log hashes it and Kafka carries it; readers that want the current
    shape call upcast_envelope."""
    return {
        "event_id": str(event_id_for(originator_id, originator_version)),
        "type": event_type.TOPIC,
        "schema_version": state.get("class_version", 1),
        "aggregate_type": aggregate_type_of(event_type),
        "aggregate_id": str(originator_id),
        "aggregate_version": originator_version,
        "position": position,
        "occurred_at": format_utc(state["timestamp"]),
        "data": {
            name: to_json_value(value)
            for name, value in state.items()
            if name not in BASE_EVENT_FIELDS and name != "class_version"
        },
        "metadata": {
            "actor": state["actor"],
            "correlation_id": str(state["correlation_id"]),
            "causation_id": str(state["causation_id"]),
        },
    }


def current_version(event_type: type[VeraEvent]) -> int:
    return int(getattr(event_type, "class_version", 1))


def upcast_envelope(envelope: dict[str, Any]) -> dict[str, Any]:
    """The envelope in its event type's current version: the class's own upcasters run on
    a copy of the data (they add fields with JSON-ready defaults; one that transforms a
    field must accept its JSON form too). Current envelopes come back as they are."""
    event_type = event_type_named(str(envelope["type"]))
    if event_type is None:
        return envelope  # unknown types are the projections' to refuse
    latest = current_version(event_type)
    version = int(envelope.get("schema_version", latest))  # none said: taken as current
    if version >= latest:
        return envelope
    data = dict(envelope["data"])
    while version < latest:
        getattr(event_type, f"upcast_v{version}_v{version + 1}")(data)
        version += 1
    return {
        **envelope,
        "schema_version": latest,
        "data": {name: to_json_value(value) for name, value in data.items()},
    }
