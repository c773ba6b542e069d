"""The aggregates one batch works on, and what each command touched.

Handlers decide against these objects; the bus owns saving them. Knowing which command
touched which aggregate lets the bus re-run only the commands a conflict invalidated."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar, cast
from uuid import UUID

from eventsourcing.domain import BaseAggregate

from commands.actor import Actor
from commands.credentials import CredentialIssuer
from domain.errors import NotFound
from domain.event_base import VeraEvent
from domain.provenance import Provenance

AnyAggregate = BaseAggregate[UUID]
A = TypeVar("A", bound=AnyAggregate)
Loader = Callable[[UUID], AnyAggregate | None]


class Workspace:
    """Aggregates loaded (or created) by the commands of one batch attempt."""

    def __init__(self, load: Loader) -> None:
        self._load = load
        self.aggregates: dict[UUID, AnyAggregate] = {}
        # The stored version each aggregate had when first read (0: did not exist yet);
        # a different stored version at save time means another writer got there first.
        self.base_versions: dict[UUID, int] = {}

    def find(self, aggregate_id: UUID) -> AnyAggregate | None:
        if aggregate_id in self.aggregates:
            return self.aggregates[aggregate_id]
        if aggregate_id in self.base_versions:  # known to be absent
            return None
        aggregate = self._load(aggregate_id)
        if aggregate is None:
            self.base_versions[aggregate_id] = 0
            return None
        self.aggregates[aggregate_id] = aggregate
        self.base_versions[aggregate_id] = aggregate.version
        return aggregate

    def add(self, aggregate: AnyAggregate) -> None:
        self.aggregates[aggregate.id] = aggregate
        self.base_versions.setdefault(aggregate.id, 0)

    def forget(self, aggregate_ids: Iterable[UUID]) -> None:
        for aggregate_id in aggregate_ids:
            self.aggregates.pop(aggregate_id, None)
            self.base_versions.pop(aggregate_id, None)


class HandlerContext:
    """What a handler sees: the caller, the clock reading, the batch's aggregates, and the
    ports to what handlers may not import (the certificate credential's signer)."""

    def __init__(
        self,
        workspace: Workspace,
        actor: Actor,
        prov: Provenance,
        credentials: CredentialIssuer,
    ) -> None:
        self._workspace = workspace
        self.actor = actor
        self.prov = prov
        self.credentials = credentials
        # Insertion-ordered, so a command's events are saved in a deterministic order.
        self.touched: dict[UUID, None] = {}

    def find(self, kind: type[A], aggregate_id: UUID) -> A | None:
        self.touched[aggregate_id] = None
        aggregate = self._workspace.find(aggregate_id)
        if aggregate is not None and not isinstance(aggregate, kind):
            return None  # an id of another kind of aggregate is as good as unknown
        return aggregate

    def get(self, kind: type[A], aggregate_id: UUID) -> A:
        aggregate = self.find(kind, aggregate_id)
        if aggregate is None:
            raise NotFound(f"no {kind.__name__.lower()} {aggregate_id}", id=str(aggregate_id))
        return aggregate

    def add(self, aggregate: A) -> A:
        self.touched[aggregate.id] = None
        self._workspace.add(aggregate)
        return aggregate

    def collect_events(self) -> list[VeraEvent]:
        """Take the pending events of every aggregate this command touched."""
        events: list[VeraEvent] = []
        for aggregate_id in self.touched:
            aggregate = self._workspace.aggregates.get(aggregate_id)
            if aggregate is not None:
                events.extend(cast(list[VeraEvent], aggregate.collect_events()))
        return events
