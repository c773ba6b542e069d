"""The Kafka envelope of CONTRACT.md: the one JSON shape every consumer of an event sees.

The audit log hashes exactly this (canonicalised), so it is built here, purely, from the
domain event and its global position, and nowhere else."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.catalog import aggregate_type_of
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
    if isinstance(value, list | tuple):
        return [to_json_value(item) for item in value]
    if isinstance(value, dict):
        return {str(k): to_json_value(v) for k, v in value.items()}
    msg = f"no JSON form for {type(value).__name__}"
    raise TypeError(msg)


def event_data(event: VeraEvent) -> dict[str, JsonValue]:
    """The event's own fields (everything but identity, time and provenance)."""
    return {
        name: to_json_value(value)
        for name, value in vars(event).items()
        if name not in BASE_EVENT_FIELDS
    }


def envelope_of(event: VeraEvent, position: int) -> dict[str, JsonValue]:
    event_type = type(event)
    return {
        "event_id": str(event_id_for(event.originator_id, event.originator_version)),
        "type": event_type.TOPIC,
        "schema_version": getattr(event_type, "class_version", 1),
        "aggregate_type": aggregate_type_of(event_type),
        "aggregate_id": str(event.originator_id),
        "aggregate_version": event.originator_version,
        "position": position,
        "occurred_at": format_utc(event.timestamp),
        "data": event_data(event),
        "metadata": {
            "actor": event.actor,
            "correlation_id": str(event.correlation_id),
            "causation_id": str(event.causation_id),
        },
    }
