"""JSON Schema fragments for the Python types an event's fields are annotated with."""

from __future__ import annotations

import types
import typing
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

# str(UUID) is always lowercase and hyphenated.
UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
# domain.envelope.format_utc: UTC, microseconds, a 'Z'.
UTC_TIMESTAMP_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z$"
# domain.envelope.to_json_value of a calendar day: date.isoformat().
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
# Money and scores travel as decimal strings, never as floats that would round.
DECIMAL_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"

Schema = dict[str, Any]


def uuid_schema() -> Schema:
    return {"type": "string", "format": "uuid", "pattern": UUID_PATTERN}


def utc_timestamp_schema() -> Schema:
    return {"type": "string", "format": "date-time", "pattern": UTC_TIMESTAMP_PATTERN}


def date_schema() -> Schema:
    return {"type": "string", "format": "date", "pattern": DATE_PATTERN}


def decimal_schema() -> Schema:
    return {"type": "string", "pattern": DECIMAL_PATTERN}


def field_schema(annotation: object) -> Schema:
    """The schema of a field's JSON form (domain.envelope.to_json_value) for its annotation.

    An annotation without a mapping raises TypeError, so a new field type forces a decision
    here instead of shipping a schema that says nothing."""
    simple = _simple_schema(annotation)
    if simple is not None:
        return simple
    if isinstance(annotation, type) and typing.is_typeddict(annotation):
        return _object_schema(annotation)
    origin = typing.get_origin(annotation)
    arguments = typing.get_args(annotation)
    if origin is list and len(arguments) == 1:
        return {"type": "array", "items": field_schema(arguments[0])}
    if origin in (types.UnionType, typing.Union):
        return _optional_schema(annotation, arguments)
    msg = f"no JSON Schema mapping for the field annotation {annotation!r}"
    raise TypeError(msg)


def _simple_schema(annotation: object) -> Schema | None:
    # Identity checks, not issubclass: bool is an int subclass but a JSON boolean.
    if annotation is str:
        return {"type": "string"}
    if annotation is bool:
        return {"type": "boolean"}
    if annotation is int:
        return {"type": "integer"}
    if annotation is Decimal:
        return decimal_schema()
    if annotation is UUID:
        return uuid_schema()
    if annotation is datetime:
        return utc_timestamp_schema()
    if annotation is date:
        return date_schema()
    return None


def _object_schema(annotation: type) -> Schema:
    """A TypedDict: exactly its keys, each of its own schema."""
    hints = typing.get_type_hints(annotation)
    return {
        "type": "object",
        "additionalProperties": False,
        "required": sorted(hints),
        "properties": {name: field_schema(hint) for name, hint in hints.items()},
    }


def _optional_schema(annotation: object, arguments: tuple[object, ...]) -> Schema:
    present = [argument for argument in arguments if argument is not type(None)]
    if len(present) != 1 or len(present) == len(arguments):
        msg = f"only `X | None` unions have a JSON Schema mapping, not {annotation!r}"
        raise TypeError(msg)
    inner = field_schema(present[0])
    if isinstance(inner.get("type"), str):
        # Keywords such as pattern and format constrain strings only, so they still hold
        # for the non-null case and a null passes them untouched.
        return {**inner, "type": [inner["type"], "null"]}
    return {"anyOf": [inner, {"type": "null"}]}
