"""A size-bounded LRU cache of committed aggregates, owned by one bus.

Only the bus's batch thread touches it, so it needs no lock. Whatever is in it may be
stale when other processes write too: optimistic concurrency catches that at save time."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from typing import TypeVar
from uuid import UUID

from eventsourcing.domain import BaseAggregate

AnyAggregate = BaseAggregate[UUID]
A = TypeVar("A", bound=AnyAggregate)


def working_copy(aggregate: A) -> A:
    """A copy a batch may change without touching the committed original.

    Shallow is enough: events replace attribute values, they never mutate a value in place
    (no list.append on aggregate state), so the copy shares only immutable values."""
    clone = object.__new__(type(aggregate))
    clone.__dict__.update(aggregate.__dict__)
    clone.__dict__["_pending_events"] = []
    return clone


class AggregateCache:
    def __init__(self, maxsize: int) -> None:
        if maxsize < 0:
            msg = "cache size must not be negative"
            raise ValueError(msg)
        self.maxsize = maxsize
        self._entries: OrderedDict[UUID, AnyAggregate] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, aggregate_id: UUID) -> AnyAggregate | None:
        aggregate = self._entries.get(aggregate_id)
        if aggregate is not None:
            self._entries.move_to_end(aggregate_id)
        return aggregate

    def put(self, aggregate: AnyAggregate) -> None:
        if self.maxsize == 0:
            return
        self._entries[aggregate.id] = aggregate
        self._entries.move_to_end(aggregate.id)
        while len(self._entries) > self.maxsize:
            self._entries.popitem(last=False)

    def evict(self, aggregate_ids: Iterable[UUID]) -> None:
        for aggregate_id in aggregate_ids:
            self._entries.pop(aggregate_id, None)

    def clear(self) -> None:
        self._entries.clear()
