"""What a dispatched command returns to its caller."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class CommandResult:
    """ids of what was created or changed (e.g. {"auctionId": ..., "bidId": ...}), the
    version of the command's main aggregate, and the global position of its last event."""

    ids: dict[str, str]
    aggregate_id: str
    aggregate_version: int
    position: int
    replayed: bool = field(default=False)  # True when an idempotency key matched

    def to_json(self) -> dict[str, Any]:
        return {
            "ids": self.ids,
            "aggregate_id": self.aggregate_id,
            "aggregate_version": self.aggregate_version,
            "position": self.position,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], *, replayed: bool) -> CommandResult:
        return cls(
            ids={str(k): str(v) for k, v in data["ids"].items()},
            aggregate_id=str(data["aggregate_id"]),
            aggregate_version=int(data["aggregate_version"]),
            position=int(data["position"]),
            replayed=replayed,
        )
