"""What `verachain audit` runs: verify the log against the history (from the store or the
Kafka topics), print a tlog-proof for an event, give the log's verifier key."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Generator
from typing import Any

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from commands.store import EventStore
from infra.audit_kafka import kafka_leaf_batches
from infra.bootstrap import NotConfigured, build_event_store
from infra.keys import AUDIT_LOG_KEY_FILE, load_ed25519
from infra.settings import Settings
from projections.signed_note import VerifierKey, parse_verifier_key, verifier_key
from projections.tlog_proof import TlogProof
from streams.audit_leaves import LeafRecord, leaf_batches, leaf_input
from streams.audit_proofs import AuditProofs
from streams.audit_store import AuditStore
from streams.audit_verify import VerifyReport, verify_log
from streams.history_reader import read_history_batch

Pool = AsyncConnectionPool[AsyncConnection[Any]]


class AuditToolError(Exception):
    """A clear, one-line reason an audit command cannot run (bad input or missing data)."""


def log_verifier_key(settings: Settings, given: str | None) -> VerifierKey:
    """The key checkpoints must be signed with: the one the auditor gives (`name+id+key`),
    else the public half of this installation's log key (never created here)."""
    if given:
        try:
            return parse_verifier_key(given.strip())
        except ValueError as e:
            raise AuditToolError(f"--log-key: {e}") from e
    path = settings.data_dir / AUDIT_LOG_KEY_FILE
    if not path.exists():
        raise AuditToolError(f"no log key at {path}: pass --log-key NAME+ID+KEY")
    return parse_verifier_key(verifier_key(settings.audit_origin, load_ed25519(path).public_key()))


@contextlib.asynccontextmanager
async def _opened(settings: Settings) -> AsyncIterator[tuple[EventStore, Pool]]:
    if not settings.database_url:
        raise NotConfigured("VERACHAIN_DATABASE_URL is not set (or run `verachain dev`)")
    store = build_event_store(settings)
    pool: Pool = AsyncConnectionPool(settings.database_url, min_size=1, max_size=2, open=False)
    await pool.open()
    try:
        yield store, pool
    finally:
        await pool.close()
        store.close()


async def verify(
    settings: Settings,
    log_key: VerifierKey,
    *,
    from_kafka: bool = False,
    trusted: str | None = None,
    on_total: Callable[[int], None] | None = None,
    advance: Callable[[int], None] | None = None,
) -> VerifyReport:
    async with _opened(settings) as (store, pool):
        head = store.head_position()
        if on_total is not None:
            on_total(await AuditStore(pool).size() if from_kafka else head)  # ids ~ events
        if from_kafka:
            if not settings.kafka_bootstrap:
                raise NotConfigured("--from-kafka needs VERACHAIN_KAFKA_BOOTSTRAP")
            leaves = kafka_leaf_batches(settings.kafka_bootstrap)
        else:
            leaves = _async_batches(leaf_batches(settings, store, after=0, up_to=head))
        return await verify_log(leaves, AuditStore(pool), log_key, trusted=trusted, advance=advance)


async def prove(settings: Settings, event_id: str) -> TlogProof:
    """A C2SP tlog-proof of the event's leaf against the first checkpoint that covers it;
    its extra data is the leaf input (the canonical envelope), so the proof stands alone."""
    async with _opened(settings) as (store, pool):
        audit = AuditStore(pool)
        leaf = await audit.leaf_by_event(event_id)
        if leaf is None:
            raise AuditToolError(f"event {event_id} is not in the audit log (yet)")
        checkpoint = await audit.checkpoint_covering(leaf.leaf_index + 1)
        if checkpoint is None:
            raise AuditToolError(f"no signed checkpoint covers event {event_id} yet")
        hashes = await AuditProofs(audit).inclusion(leaf.leaf_index, checkpoint.tree_size)
        (envelope,) = await asyncio.to_thread(
            read_history_batch, store, leaf.position - 1, 1, leaf.position
        )
        return TlogProof(
            index=leaf.leaf_index,
            hashes=hashes,
            checkpoint_note=checkpoint.note,
            extra=leaf_input(envelope),
        )


async def _async_batches(
    batches: Generator[list[LeafRecord], None, None],
) -> AsyncIterator[list[LeafRecord]]:
    try:
        empty: list[LeafRecord] = []
        while batch := await asyncio.to_thread(next, batches, empty):
            yield batch
    finally:
        batches.close()
