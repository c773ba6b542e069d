"""Who decided, when, and as part of which request: stamped on every event."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID


@dataclass(frozen=True, slots=True)
class Provenance:
    """The caller's clock reading and trace ids; the domain never reads a clock itself."""

    actor_id: str
    now: datetime
    correlation_id: UUID
    causation_id: UUID

    def __post_init__(self) -> None:
        if self.now.tzinfo is None or self.now.utcoffset() != UTC.utcoffset(None):
            msg = "Provenance.now must be an aware UTC datetime"
            raise ValueError(msg)

    def event_fields(self) -> dict[str, Any]:
        """The fields every VeraChain event carries besides its own data."""
        return {
            "timestamp": self.now,
            "actor": self.actor_id,
            "correlation_id": self.correlation_id,
            "causation_id": self.causation_id,
        }
