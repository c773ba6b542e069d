"""What `verachain audit` runs: verify the log against the history (from the store or the
Kafka topics), print a tlog-proof for an event, give the log's verifier key."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Generator
from pathlib import Path
from typing import Any

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from commands.store import EventStore
from infra.audit_export import ExportError, ExportLog
from infra.audit_kafka import kafka_leaf_batches
from infra.bootstrap import NotConfigured, build_event_store
from infra.keys import AUDIT_LOG_KEY_FILE, load_ed25519
from infra.settings import Settings
from projections.signed_note import VerifierKey, parse_verifier_key, verifier_key
from projections.tlog_proof import TlogProof
from streams.audit_event_proof import ProofUnavailable, event_tlog_proof
from streams.audit_leaves import LeafBatch, leaf_batches
from streams.audit_store import AuditStore
from streams.audit_verify import VerifyReport, verify_log

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


async def verify_export(
    path: Path,
    log_key: VerifierKey,
    *,
    trusted: str | None = None,
    advance: Callable[[int], None] | None = None,
) -> VerifyReport:
    """verify_log over an `audit export` directory: no database, no broker."""
    try:
        exported = ExportLog(path)
        return await verify_log(
            exported.leaves(), exported, log_key, trusted=trusted, advance=advance
        )
    except ExportError as e:
        raise AuditToolError(f"{path}: {e}") from e


def export_verifier_key(path: Path, given: str | None) -> VerifierKey:
    """--log-key when given, else the export's own log-key.vkey."""
    if given:
        return log_verifier_key(Settings(), given)
    key_file = path / "log-key.vkey"
    if not key_file.exists():
        raise AuditToolError(f"{key_file} is missing: pass --log-key NAME+ID+KEY")
    return log_verifier_key(Settings(), key_file.read_text("utf-8"))


async def prove(settings: Settings, event_id: str) -> TlogProof:
    """A C2SP tlog-proof of the event's leaf against the first checkpoint that covers it;
    its extra data is the leaf input (the canonical envelope), so the proof stands alone."""
    async with _opened(settings) as (store, pool):
        try:
            return await event_tlog_proof(store, AuditStore(pool), event_id)
        except ProofUnavailable as e:
            raise AuditToolError(e.reason) from e


async def _async_batches(batches: Generator[LeafBatch, None, None]) -> AsyncIterator[LeafBatch]:
    try:
        while (batch := await asyncio.to_thread(next, batches, None)) is not None:
            yield batch
    finally:
        batches.close()
