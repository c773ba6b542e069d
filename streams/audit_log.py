"""The audit log projection: follows the store's global order, appends each event as the
next leaf of the RFC 9162 tree, and signs a checkpoint when there are new leaves (at most
once per interval), after checking that the new tree extends the last signed one.

One writer at a time: a PostgreSQL session lock elects it (a second relay process waits as
a standby). The tree's right edge lives in memory (a Frontier); after any failure it is
reloaded from the stored nodes, so the memory can never drift from the database."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Generator
from dataclasses import dataclass
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Counter, Gauge
from psycopg import AsyncConnection

from commands.store import EventStore
from infra.settings import Settings
from projections.merkle import Frontier, root_plan
from projections.merkle_verify import verify_consistency
from streams.audit_leaves import LeafBatch, leaf_batches
from streams.audit_proofs import AuditProofs
from streams.audit_schema import ensure_audit_schema
from streams.audit_signer import CheckpointSigner
from streams.audit_store import AuditStore, Pool, StoredCheckpoint

log = logging.getLogger(__name__)

Wait = Callable[[float], Awaitable[None]]  # returns on a store commit or after the timeout
Publish = Callable[[StoredCheckpoint], Awaitable[None]]
WRITER_LOCK = "SELECT pg_try_advisory_lock(hashtext('verachain-audit-writer'))"


class AuditInconsistency(RuntimeError):
    """The stored log does not extend the last signed checkpoint: nothing more is signed."""


@dataclass(frozen=True)
class AuditConfig:
    checkpoint_interval_s: float = 1.0
    poll_s: float = 0.5
    max_backoff_s: float = 10.0


class AuditMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.tree_size = Gauge(
            "verachain_audit_tree_size", "Leaves in the audit log", registry=registry
        )
        self.checkpoint_size = Gauge(
            "verachain_audit_checkpoint_tree_size",
            "Tree size of the latest signed checkpoint",
            registry=registry,
        )
        self.publish_failures = Counter(
            "verachain_audit_publish_failures",
            "Checkpoint publications to Kafka that failed (retried)",
            registry=registry,
        )
        self.failures = Counter(
            "verachain_audit_failures", "Audit log loop failures (retried)", registry=registry
        )


class AuditLog:
    def __init__(
        self,
        settings: Settings,
        store: EventStore,
        pool: Pool,
        signer: CheckpointSigner,
        *,
        wait: Wait,
        publish: Publish | None = None,
        config: AuditConfig | None = None,
        registry: CollectorRegistry | None = None,
    ) -> None:
        if not settings.database_url:
            raise ValueError("the audit log needs VERACHAIN_DATABASE_URL")
        self.settings = settings
        self.database_url = settings.database_url
        self.store = store
        self.pool = pool
        self.audit = AuditStore(pool)
        self.proofs = AuditProofs(self.audit)
        self.signer = signer
        self.wait = wait
        self.publish = publish
        self.config = config or AuditConfig()
        self.metrics = AuditMetrics(registry or CollectorRegistry())
        self.frontier = Frontier()
        self.last_position = 0
        self._signed_at = 0.0  # monotonic time of the last signature

    async def run(self, stop: asyncio.Event) -> None:
        """Append and sign until `stop` is set; survive database outages (backoff, reload)."""
        backoff = 0.2
        while not stop.is_set():
            try:
                async with self._writer_lock(stop) as elected:
                    if not elected:
                        return
                    await ensure_audit_schema(self.pool)
                    await self.resume()
                    while not stop.is_set():
                        await self.step()
                        # Reset only after a step went through: a refusal that recurs on
                        # every step (a checkpoint by another key, say) backs off to the cap.
                        backoff = 0.2
                        await self.wait(self._next_wake())
            except asyncio.CancelledError:
                raise
            except Exception as e:
                self.metrics.failures.inc()
                log.warning(
                    "audit log interrupted (%s: %s); retrying in %.1fs",
                    type(e).__name__,
                    e,
                    backoff,
                    exc_info=isinstance(e, AuditInconsistency) or log.isEnabledFor(logging.DEBUG),
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=backoff)
                backoff = min(backoff * 2, self.config.max_backoff_s)

    async def resume(self) -> None:
        """Load the tree's size and right edge from the stored nodes."""
        size, self.last_position = await self.audit.tip()
        edge = await self.audit.nodes(root_plan(size) if size else [])
        self.frontier = Frontier.from_nodes(size, edge)
        latest = await self.audit.latest_checkpoint()
        self.metrics.tree_size.set(size)
        self.metrics.checkpoint_size.set(latest.tree_size if latest else 0)

    async def step(self) -> None:
        """Append whatever the store has committed, then sign and publish if due."""
        head = await self._store_head()
        if head > self.last_position:
            await self.append_up_to(head)
        if time.monotonic() - self._signed_at >= self.config.checkpoint_interval_s:
            await self.checkpoint()
        if self.publish is not None:
            await self._publish_pending(self.publish)

    async def _publish_pending(self, publish: Publish) -> None:
        """Checkpoints go out in order; a broker outage delays them, never the signing."""
        try:
            for pending in await self.audit.unpublished():
                await publish(pending)
                await self.audit.mark_published(pending.tree_size)
        except Exception as e:
            self.metrics.publish_failures.inc()
            log.warning("checkpoint not published yet (%s: %s)", type(e).__name__, e)

    async def append_up_to(self, head: int) -> None:
        batches = leaf_batches(self.settings, self.store, after=self.last_position, up_to=head)
        try:
            while batch := await asyncio.to_thread(_next_batch, batches):
                await self._append(batch)
        except BaseException:
            # A failed write leaves the in-memory edge ahead of the table: reload it.
            await asyncio.shield(self._reload_quietly())
            raise
        finally:
            batches.close()

    async def _append(self, batch: LeafBatch) -> None:
        first_index = self.frontier.size
        nodes = self.frontier.extend(batch.hashes)
        await self.audit.append(first_index, batch, nodes)
        self.last_position = batch.last_position
        self.metrics.tree_size.set(self.frontier.size)

    async def checkpoint(self) -> StoredCheckpoint | None:
        """Sign the current tree if it grew; never one that does not extend the last."""
        size = self.frontier.size
        previous = await self.audit.latest_checkpoint()
        if size == 0 or (previous is not None and previous.tree_size == size):
            return None
        root = self.frontier.root()
        if previous is not None:
            await self._check_extends(previous, size, root)
        note = self.signer.sign(size, root)
        await self.audit.save_checkpoint(size, root, note)
        self._signed_at = time.monotonic()
        self.metrics.checkpoint_size.set(size)
        return StoredCheckpoint(size, root, note, signed_at=datetime.now(UTC))

    async def _check_extends(self, previous: StoredCheckpoint, size: int, root: bytes) -> None:
        signed = self.signer.open(previous.note)  # our own signature, and the note's figures
        if signed.size != previous.tree_size or signed.root != previous.root:
            msg = f"checkpoint {previous.tree_size}: the stored root differs from its note"
            raise AuditInconsistency(msg)
        if previous.tree_size > size:
            msg = f"the log holds {size} leaves, fewer than checkpoint {previous.tree_size}"
            raise AuditInconsistency(msg)
        proof = await self.proofs.consistency(previous.tree_size, size)
        if not verify_consistency(previous.tree_size, size, proof, previous.root, root):
            msg = f"the tree of size {size} does not extend checkpoint {previous.tree_size}"
            raise AuditInconsistency(msg)

    def _next_wake(self) -> float:
        due = self._signed_at + self.config.checkpoint_interval_s - time.monotonic()
        if self.frontier.size and due > 0:
            return min(self.config.poll_s, due)
        return self.config.poll_s

    async def _store_head(self) -> int:
        async with self.pool.connection() as conn:
            cursor = await conn.execute(
                "SELECT coalesce(max(notification_id), 0) FROM verachain_events"
            )
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def _reload_quietly(self) -> None:
        with contextlib.suppress(Exception):
            await self.resume()

    @contextlib.asynccontextmanager
    async def _writer_lock(self, stop: asyncio.Event) -> AsyncIterator[bool]:
        """Hold the writer's session lock for as long as this process appends; wait as a
        standby while another process holds it. Yields False when stopped while waiting."""
        conn = await AsyncConnection.connect(self.database_url, autocommit=True)
        try:
            while True:
                cursor = await conn.execute(WRITER_LOCK)
                row = await cursor.fetchone()
                if row is not None and row[0]:
                    yield True
                    return
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=self.config.poll_s * 2)
                if stop.is_set():
                    yield False
                    return
        finally:
            await conn.close()


def _next_batch(batches: Generator[LeafBatch, None, None]) -> LeafBatch | None:
    return next(batches, None)
