"""The base of every VeraChain event: eventsourcing's aggregate event plus provenance."""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from eventsourcing.domain import AggregateEvent

# Fields that belong to the envelope (or the store), not to an event's own data.
BASE_EVENT_FIELDS: frozenset[str] = frozenset(
    {
        "originator_id",
        "originator_version",
        "originator_topic",
        "timestamp",
        "actor",
        "correlation_id",
        "causation_id",
    }
)


class VeraEvent(AggregateEvent):
    """Every event records who caused it and the request it belongs to."""

    TOPIC: ClassVar[str]
    actor: str
    correlation_id: UUID
    causation_id: UUID
