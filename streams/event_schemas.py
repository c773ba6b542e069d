"""One JSON Schema per event type and version: the whole Kafka envelope of CONTRACT.md.

The committed files in streams/schemas/ are generated from the event classes; regenerate
them with `python -m streams.event_schemas`."""

from __future__ import annotations

import dataclasses
import inspect
import json
import sys
import typing
from pathlib import Path
from typing import Any

from domain.catalog import TOPIC_BY_AGGREGATE, aggregate_type_of, event_types
from domain.event_base import BASE_EVENT_FIELDS, VeraEvent
from streams.field_schemas import (
    Schema,
    field_schema,
    utc_timestamp_schema,
    uuid_schema,
)

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_ID_BASE = "https://verachain.example/schemas/"
SCHEMA_DIRECTORY = Path(__file__).parent / "schemas"
KEY_DESCRIPTION = "aggregate id"


def schema_version_of(event_type: type[VeraEvent]) -> int:
    """The version an envelope of this type carries (as domain.envelope.envelope_of does)."""
    version: int = getattr(event_type, "class_version", 1)
    return version


def schema_file_name(event_type: type[VeraEvent]) -> str:
    return f"{event_type.TOPIC}.v{schema_version_of(event_type)}.json"


def schema_path(event_type: type[VeraEvent]) -> Path:
    """Where the committed schema of the event type's current version lives."""
    return SCHEMA_DIRECTORY / schema_file_name(event_type)


def kafka_topic_of(event_type: type[VeraEvent]) -> str:
    return TOPIC_BY_AGGREGATE[aggregate_type_of(event_type)]


def schema_for(event_type: type[VeraEvent]) -> Schema:
    """The JSON Schema (draft 2020-12) of an envelope carrying an event of this type."""
    version = schema_version_of(event_type)
    schema: Schema = {
        "$schema": DRAFT_2020_12,
        "$id": f"{SCHEMA_ID_BASE}{schema_file_name(event_type)}",
        "title": f"{event_type.TOPIC} v{version} envelope",
        "x-kafka-topic": kafka_topic_of(event_type),
        "type": "object",
        "additionalProperties": False,
        "required": [
            "event_id",
            "type",
            "schema_version",
            "aggregate_type",
            "aggregate_id",
            "aggregate_version",
            "position",
            "occurred_at",
            "data",
            "metadata",
        ],
        "properties": {
            "event_id": uuid_schema(),
            "type": {"type": "string", "const": event_type.TOPIC},
            "schema_version": {"type": "integer", "const": version},
            "aggregate_type": {"type": "string", "const": aggregate_type_of(event_type)},
            "aggregate_id": uuid_schema(),
            "aggregate_version": {"type": "integer", "minimum": 1},
            "position": {"type": "integer", "minimum": 1},
            "occurred_at": utc_timestamp_schema(),
            "data": data_schema(event_type),
            "metadata": _metadata_schema(),
        },
    }
    description = _own_docstring(event_type)
    if description is not None:
        schema["description"] = description
    return schema


def data_schema(event_type: type[VeraEvent]) -> Schema:
    """The event's own fields: every one present, nothing else."""
    # get_type_hints resolves the string annotations of `from __future__ import annotations`
    # against each defining module's globals.
    hints = typing.get_type_hints(event_type)
    names = [
        field.name
        for field in dataclasses.fields(event_type)
        if field.name not in BASE_EVENT_FIELDS
    ]
    return {
        "type": "object",
        "additionalProperties": False,
        "required": names,
        "properties": {name: field_schema(hints[name]) for name in names},
    }


def _metadata_schema() -> Schema:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["actor", "correlation_id", "causation_id"],
        "properties": {
            "actor": {"type": "string"},
            "correlation_id": uuid_schema(),
            "causation_id": uuid_schema(),
        },
    }


def _own_docstring(event_type: type[VeraEvent]) -> str | None:
    doc = event_type.__dict__.get("__doc__")
    # Events are dataclasses, and dataclasses give an undocumented class a docstring of its
    # own signature ("BidPlaced(self, ...)"): that is no description.
    if not isinstance(doc, str) or doc.startswith(f"{event_type.__name__}("):
        return None
    return inspect.cleandoc(doc)


def render(event_type: type[VeraEvent]) -> str:
    """The exact text of the committed schema file."""
    return json.dumps(schema_for(event_type), indent=2, sort_keys=True) + "\n"


def write_all(directory: Path) -> list[Path]:
    """Write every event type's current schema into directory; return the files written.

    Files of older versions are left alone: they still describe what was published then."""
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for event_type in event_types():
        path = directory / schema_file_name(event_type)
        path.write_text(render(event_type), encoding="utf-8", newline="\n")
        written.append(path)
    return written


def load_schema(event_type: type[VeraEvent]) -> dict[str, Any]:
    """The committed schema of the event type's current version."""
    loaded: dict[str, Any] = json.loads(schema_path(event_type).read_text(encoding="utf-8"))
    return loaded


def describe_topics() -> list[tuple[str, str, list[str], list[str]]]:
    """Per Kafka topic: the key, the event types it carries and their schema files."""
    package_root = SCHEMA_DIRECTORY.parent.parent
    described: list[tuple[str, str, list[str], list[str]]] = []
    for topic in dict.fromkeys(TOPIC_BY_AGGREGATE.values()):
        carried = [t for t in event_types() if kafka_topic_of(t) == topic]
        names = [t.TOPIC for t in carried]
        paths = [schema_path(t).relative_to(package_root).as_posix() for t in carried]
        described.append((topic, KEY_DESCRIPTION, names, paths))
    return described


def main() -> None:
    """Regenerate the committed schema files."""
    for path in write_all(SCHEMA_DIRECTORY):
        sys.stdout.write(f"{path}\n")


if __name__ == "__main__":
    main()
