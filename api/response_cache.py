"""A cache of whole GraphQL query answers, each kept with the versions of the read-model rows
it was computed from, and served again only while every one of them is still current.

Why: executing `auction(id) { highestBid bidCount bids(first: 10) }` through strawberry and
graphql-core costs ~6 ms of CPU (py-spy, bench api), almost all of it in field resolution
and result completion; checking that the rows behind a kept answer have not moved is one
indexed SQL statement. Clients poll the same few hot auctions, so most answers are kept ones.

Correctness: an answer is served only if each row it read (products, verifications,
certificates, auctions: each carries its aggregate's version) is at the version it had,
checked at serving time in one statement; an absent row counts as version 0, so a query
for a row that later appears misses. An auction's bids are written in the transaction
that bumps the auction's version, and are read after it, so a kept answer whose auction
row is current holds the current bids. A read with no version behind it (a connection
page, a product's certificate list, a price estimate, proofs) makes the answer uncacheable
(`Dependencies.forbid`), and only operations whose root fields are all in CACHEABLE_ROOTS
(by id, without `minPosition`, which has its own wait) are candidates at all. The hot
auction fields come from Redis, which the projector updates inside the same transaction
as the SQL row: a kept answer can trail Redis by at most that commit's few milliseconds.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
    parse,
)
from prometheus_client import CollectorRegistry, Counter
from psycopg import AsyncConnection, sql
from psycopg_pool import AsyncConnectionPool
from strawberry.dataloader import DataLoader

from commands.actor import Actor

# Root fields whose answers depend only on versioned rows read by id.
CACHEABLE_ROOTS = frozenset({"auction", "product", "certificate"})
VERSIONED_TABLES = ("products", "verifications", "certificates", "auctions")
MAX_PLANS = 1_000  # distinct query texts whose shape is remembered
Data = dict[str, Any]


@dataclass
class Dependencies:
    """What one execution read: each versioned row once, at the version it was read."""

    rows: dict[tuple[str, str], int] = field(default_factory=dict)
    cacheable: bool = True

    def saw(self, table: str, row_id: str, row: Mapping[str, Any] | None) -> None:
        version = int(row["version"]) if row is not None else 0
        if self.rows.setdefault((table, row_id), version) != version:
            self.cacheable = False  # read twice at two versions: the answer mixes them

    def forbid(self) -> None:
        """This answer read something that no row version covers: never keep it."""
        self.cacheable = False


@dataclass(frozen=True, slots=True)
class Entry:
    data: Data
    rows: tuple[tuple[str, str, int], ...]


@dataclass(frozen=True, slots=True)
class Plan:
    """A candidate request: the key of its answer."""

    key: str


class ResponseCache:
    def __init__(
        self,
        pool: AsyncConnectionPool[AsyncConnection[Any]],
        schema: str,
        max_entries: int,
        registry: CollectorRegistry | None = None,
    ) -> None:
        self.outcomes = Counter(
            "verachain_graphql_cache",
            "Query answers: hit (served kept), miss (computed), stale (kept but a row moved), "
            "kept, unkept (computed but not keepable)",
            ["outcome"],
            registry=registry,
        )
        self.pool = pool
        self.schema = schema
        self.max_entries = max_entries
        self._entries: OrderedDict[str, Entry] = OrderedDict()
        self._shapes: OrderedDict[str, bool] = OrderedDict()  # query text -> candidate?
        self._statements: dict[tuple[str, ...], sql.Composed] = {}
        # The version checks of every lookup waiting in the same loop tick share one
        # statement (under load most do); never cached: each tick reads afresh.
        self._current: DataLoader[tuple[str, str], int] = DataLoader(
            self._current_versions, cache=False
        )

    def plan(
        self,
        query: str | None,
        variables: Mapping[str, Any] | None,
        operation_name: str | None,
        actor: Actor | None,
    ) -> Plan | None:
        """The request's cache key, or None when its answer is never kept."""
        if self.max_entries <= 0 or not query or not self._candidate(query):
            return None
        who = "" if actor is None else f"{actor.id}\0{sorted(r.value for r in actor.roles)}"
        material = json.dumps(
            [query, variables or {}, operation_name, who], sort_keys=True, default=str
        )
        return Plan(hashlib.sha256(material.encode()).hexdigest())

    async def lookup(self, plan: Plan) -> Data | None:
        """The kept answer if every row behind it is still at its version."""
        entry = self._entries.get(plan.key)
        if entry is None:
            self.outcomes.labels("miss").inc()
            return None
        current = await self._current.load_many(
            [(table, row_id) for table, row_id, _ in entry.rows]
        )
        if any(now != kept for now, (_, _, kept) in zip(current, entry.rows, strict=True)):
            self._entries.pop(plan.key, None)  # another request may have dropped it meanwhile
            self.outcomes.labels("stale").inc()
            return None
        if self._entries.get(plan.key) is entry:  # not replaced while we awaited
            self._entries.move_to_end(plan.key)
        self.outcomes.labels("hit").inc()
        return entry.data

    def keep(self, plan: Plan, data: Data | None, dependencies: Dependencies) -> bool:
        """Keep an answer computed without errors; False when it may not be kept."""
        if data is None or not dependencies.cacheable or not dependencies.rows:
            self.outcomes.labels("unkept").inc()
            return False
        rows = tuple((t, i, v) for (t, i), v in sorted(dependencies.rows.items()))
        self._entries[plan.key] = Entry(data, rows)
        self._entries.move_to_end(plan.key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
        self.outcomes.labels("kept").inc()
        return True

    def __len__(self) -> int:
        return len(self._entries)

    def _candidate(self, query: str) -> bool:
        known = self._shapes.get(query)
        if known is None:
            known = self._shapes[query] = _cacheable_shape(query)
            while len(self._shapes) > MAX_PLANS:
                self._shapes.popitem(last=False)
        return known

    async def _current_versions(self, rows: list[tuple[str, str]]) -> list[int]:
        """The versions of these rows now (an absent row: 0), in one statement."""
        by_table: dict[str, list[str]] = {}
        for table, row_id in rows:
            by_table.setdefault(table, []).append(row_id)
        tables = tuple(sorted(by_table))
        statement = self._statements.get(tables)
        if statement is None:
            statement = self._statements[tables] = self._version_statement(tables)
        params = [by_table[table] for table in tables]
        async with self.pool.connection() as conn:
            cursor = await conn.execute(statement, params)
            found = {
                (table, str(row_id)): int(version)
                for table, row_id, version in await cursor.fetchall()
            }
        return [found.get(row, 0) for row in rows]

    def _version_statement(self, tables: tuple[str, ...]) -> sql.Composed:
        parts = [
            sql.SQL("SELECT {} AS t, id, version FROM {}.{} WHERE id = ANY(%s::uuid[])").format(
                sql.Literal(table), sql.Identifier(self.schema), sql.Identifier(table)
            )
            for table in tables
        ]
        return sql.SQL(" UNION ALL ").join(parts)


def _cacheable_shape(query: str) -> bool:
    """One query operation whose root fields are all cacheable by-id reads, with no
    minPosition anywhere (its wait and `stale` flag are per request)."""
    if "minPosition" in query:
        return False
    try:
        document: DocumentNode = parse(query)
    except GraphQLError:
        return False  # strawberry answers it with the syntax error
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if len(operations) != 1 or operations[0].operation != OperationType.QUERY:
        return False
    roots = operations[0].selection_set.selections
    return all(isinstance(s, FieldNode) and s.name.value in CACHEABLE_ROOTS for s in roots)
