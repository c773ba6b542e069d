"""One event in, both read models updated: SQL and Redis, or a dead letter.

The Redis update runs inside the SQL transaction, before it commits: if Redis fails the
SQL change rolls back and the event is retried; if the process dies after Redis but
before the commit, the redelivery finds Redis already at that version and skips it."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any
from uuid import UUID

import psycopg
import redis.exceptions
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import Link
from psycopg import AsyncConnection
from psycopg.rows import dict_row

from projections.live_model import live_update
from projections.read_rows import Envelope, Projected, handled_event_types
from streams.dead_letters import DeadLetters
from streams.projection_metrics import ProjectionMetrics
from streams.redis_projection import GAP, RedisProjection
from streams.sql_projection import Outcome, SqlProjection
from streams.trace_context import span_context

log = logging.getLogger(__name__)
_tracer = trace.get_tracer("verachain.worker")
MAX_LINKS = 64  # a batch links to the traces of its first events, not to hundreds

# Failures of the services themselves: wait and retry the same event (order matters).
TRANSIENT = (psycopg.OperationalError, redis.exceptions.ConnectionError, OSError, TimeoutError)


class PoisonEvent(Exception):
    """The message can never be applied (malformed, unknown type)."""


class Projector:
    def __init__(
        self,
        sql: SqlProjection,
        live: RedisProjection,
        dead_letters: DeadLetters,
        metrics: ProjectionMetrics,
        max_backoff_s: float = 5.0,
    ) -> None:
        self.sql = sql
        self.live = live
        self.dead_letters = dead_letters
        self.metrics = metrics
        self.max_backoff_s = max_backoff_s
        self._known_types = handled_event_types()

    async def handle(self, message: bytes) -> None:
        """Apply one Kafka message; retry while the services are down; dead-letter poison."""
        backoff = 0.1
        while True:
            try:
                envelope = self._decode(message)
                applied = await self.sql.apply(envelope, after_apply=self._update_live_model)
            except TRANSIENT as e:
                log.warning("projection waiting for its services (%s); retrying", e)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.max_backoff_s)
                continue
            except Exception as e:
                log.error("dead-lettering an event: %s: %s", type(e).__name__, e)
                self.metrics.dead_letters.inc()
                await self.dead_letters.record(message, e)
                return
            self.metrics.outcomes.labels(applied.outcome.value).inc()
            if applied.outcome != Outcome.DUPLICATE:
                self.metrics.applied_position.set(int(envelope["position"]))
            return

    async def handle_batch(self, messages: list[bytes]) -> None:
        """Apply many messages in one transaction; poison ones are dead-lettered alone."""
        envelopes: list[Envelope] = []
        valid: list[bytes] = []
        for message in messages:
            try:
                envelopes.append(self._decode(message))
                valid.append(message)
            except PoisonEvent as e:
                self.metrics.dead_letters.inc()
                await self.dead_letters.record(message, e)
        if not envelopes:
            return
        with _tracer.start_as_current_span("project batch", links=_links(envelopes)) as span:
            span.set_attribute("verachain.events", len(envelopes))
            await self._apply_batch(envelopes, valid)

    async def _apply_batch(self, envelopes: list[Envelope], valid: list[bytes]) -> None:
        backoff = 0.1
        while True:
            try:
                result = await self.sql.apply_batch(envelopes, after_batch=self._update_live_batch)
            except TRANSIENT as e:
                log.warning("projection waiting for its services (%s); retrying", e)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.max_backoff_s)
                continue
            except Exception:
                # Something in the batch cannot be applied: go one by one, so that only the
                # event at fault is dead-lettered and every other one is applied.
                log.exception("a batch failed; applying its events one at a time")
                for message in valid:
                    await self.handle(message)
                return
            break
        self.metrics.outcomes.labels(Outcome.APPLIED.value).inc(result.applied)
        self.metrics.outcomes.labels(Outcome.DUPLICATE.value).inc(result.duplicates)
        self.metrics.outcomes.labels(Outcome.REPAIRED.value).inc(result.repaired)
        self.metrics.applied_position.set(max(int(e["position"]) for e in envelopes))

    async def _update_live_batch(
        self, conn: AsyncConnection[Any], steps: list[tuple[Envelope, Projected]]
    ) -> None:
        pending = [
            (envelope, update)
            for envelope, projected in steps
            if (update := live_update(envelope, projected.row)) is not None
        ]
        if not pending:
            return
        results = await self.live.apply_many([update for _, update in pending])
        latest = {update.key: (envelope, update) for envelope, update in pending}
        gapped = {
            update.key
            for (_, update), result in zip(pending, results, strict=True)
            if result == GAP
        }
        for key in gapped:
            # Redis lost this aggregate's state: write its latest whole state instead.
            envelope, update = latest[key]
            self.metrics.live_resets.inc()
            if update.bids_key is not None:
                await self.live.replace_top_bids(
                    update.bids_key,
                    await _top_bids(conn, self.sql.schema, envelope["aggregate_id"]),
                )
            await self.live.apply(update, reset=True)

    def _decode(self, message: bytes) -> Envelope:
        try:
            envelope = json.loads(message)
        except (ValueError, UnicodeDecodeError) as e:
            raise PoisonEvent(f"not JSON: {e}") from e
        if not isinstance(envelope, dict) or envelope.get("type") not in self._known_types:
            raise PoisonEvent(
                f"unknown event type {getattr(envelope, 'get', lambda _: None)('type')!r}"
            )
        return envelope

    async def _update_live_model(
        self, conn: AsyncConnection[Any], envelope: Envelope, projected: Projected
    ) -> None:
        update = live_update(envelope, projected.row)
        if update is None:
            return
        if await self.live.apply(update) == GAP:
            # Redis is behind (it keeps nothing on disk): write the aggregate's whole state
            # from the row of this very transaction, and its top bids from the bids table.
            self.metrics.live_resets.inc()
            if update.bids_key is not None:
                await self.live.replace_top_bids(
                    update.bids_key,
                    await _top_bids(conn, self.sql.schema, envelope["aggregate_id"]),
                )
            await self.live.apply(update, reset=True)


def _links(envelopes: list[Envelope]) -> list[Link]:
    """Links from the batch's span to the traces of the commands behind its events (only
    when tracing is on: building them costs a UUID parse per event)."""
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        return []
    links: list[Link] = []
    for envelope in envelopes[:MAX_LINKS]:
        metadata = envelope.get("metadata") or {}
        try:
            origin = span_context(UUID(metadata["correlation_id"]), UUID(metadata["causation_id"]))
        except (KeyError, TypeError, ValueError):
            continue
        links.append(Link(origin, {"verachain.position": int(envelope["position"])}))
    return links


async def _top_bids(
    conn: AsyncConnection[Any], schema: str, auction_id: str
) -> list[tuple[str, int]]:
    query = psycopg.sql.SQL(
        "SELECT id, bidder_id, amount FROM {}.bids WHERE auction_id = %s "
        "ORDER BY amount DESC LIMIT 100"
    ).format(psycopg.sql.Identifier(schema))
    async with conn.cursor(row_factory=dict_row) as cursor:
        await cursor.execute(query, (auction_id,))
        rows = await cursor.fetchall()
    return [
        (
            json.dumps(
                {"amount": str(r["amount"]), "bidId": str(r["id"]), "bidderId": r["bidder_id"]},
                sort_keys=True,
            ),
            int(r["amount"] * 100),
        )
        for r in rows
    ]
