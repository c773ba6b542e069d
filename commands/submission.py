"""A dispatched command on its way through the bus, and what it ends with."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, fields
from uuid import UUID

from commands.actor import Actor
from commands.messages import Command
from commands.results import CommandResult


class InternalError(Exception):
    """Something other than a domain rule failed; the command was not recorded."""

    code = "INTERNAL"


@dataclass(eq=False)
class Submission:
    """One dispatched command waiting for its outcome."""

    command: Command
    actor: Actor
    correlation_id: UUID
    causation_id: UUID
    attempts: int = 0
    result: CommandResult | None = None
    error: BaseException | None = None

    @property
    def receipt_key(self) -> str | None:
        key = self.command.idempotency_key
        if key is None:
            return None
        # Keys are scoped to the caller and the command type: two users may pick the same key.
        return json.dumps([self.actor.id, type(self.command).__name__, key])

    def fingerprint(self) -> str:
        """What the command asked for; a reused key with other content is refused."""
        payload = {f.name: str(getattr(self.command, f.name)) for f in fields(self.command)}
        encoded = json.dumps([type(self.command).__name__, payload], sort_keys=True)
        return hashlib.sha256(encoded.encode()).hexdigest()
