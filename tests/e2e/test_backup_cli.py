"""`verachain backup` / `restore` run as separate processes against real PostgreSQL: a history
made through the bus, with a gap in its notification ids (a rolled-back insert and a burnt
sequence value), logged and signed by the audit log with the installation's key, then more
events after the checkpoint. Restored into a second, empty database: the rows are
byte-identical (ids and gaps included), the restored history's root at the checkpoint's size
is the note's, an audit log run there signs a tree that extends the note, and
`audit verify --trusted-checkpoint` passes. Refusals change nothing."""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from infra.audit_runner import checkpoint_signer
from infra.backup import write_backup
from infra.backup_format import EVENTS_FILE, MANIFEST_FILE, BackupDamaged, BackupError
from infra.bootstrap import build_bus, build_event_store
from infra.restore import restore_backup
from infra.settings import Settings
from projections.merkle import Frontier
from streams.audit_leaves import leaf_batches
from streams.audit_log import AuditConfig, AuditLog
from streams.audit_proofs import AuditProofs
from streams.audit_schema import ensure_audit_schema
from streams.audit_store import AuditStore, StoredCheckpoint
from tests.e2e.test_cli import cli_env, run_cli
from tests.integration.rebuild.support import traffic
from tests.support.database import TestDatabase

Pool = AsyncConnectionPool[AsyncConnection[Any]]
Row = tuple[int, str, int, str, bytes]


@dataclass(frozen=True)
class Source:
    database: TestDatabase
    settings: Settings
    checkpoint: StoredCheckpoint  # the latest, signed before the last events
    events: int


async def _no_wait(seconds: float) -> None:
    return None


def _audit_log(settings: Settings, store: Any, pool: Pool) -> AuditLog:
    return AuditLog(
        settings,
        store,
        pool,
        checkpoint_signer(settings),  # the installation's key, in the shared data dir
        wait=_no_wait,
        config=AuditConfig(checkpoint_interval_s=0),
    )


def _make_gap(database: TestDatabase) -> None:
    """Notification ids that are not dense, as production makes them."""
    with psycopg.connect(database.url) as conn:
        conn.execute(
            "SELECT nextval(pg_get_serial_sequence('verachain_events', 'notification_id'))"
        )
        conn.commit()
        with pytest.raises(psycopg.errors.UniqueViolation), conn.transaction():
            # A clash on (originator_id, version) after the sequence was drawn: rolled back.
            conn.execute(
                "INSERT INTO verachain_events (originator_id, originator_version, topic, state) "
                "SELECT originator_id, originator_version, topic, state FROM verachain_events "
                "ORDER BY notification_id LIMIT 1"
            )


def _rows(database: TestDatabase) -> list[Row]:
    with psycopg.connect(database.url) as conn:
        rows = conn.execute(
            "SELECT notification_id, originator_id::text, originator_version, topic, state "
            "FROM verachain_events ORDER BY notification_id"
        ).fetchall()
    return [(int(r[0]), str(r[1]), int(r[2]), str(r[3]), bytes(r[4])) for r in rows]


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"  # shared: the restored installation keeps the log's key


@pytest.fixture
async def source(source_database: TestDatabase, data_dir: Path) -> Source:
    settings = source_database.settings(data_dir=data_dir)
    assert settings.database_url is not None
    store = build_event_store(settings)
    try:
        async with (
            build_bus(settings, store) as bus,
            AsyncConnectionPool(settings.database_url, min_size=1, max_size=3) as pool,
        ):
            audit_log = _audit_log(settings, store, pool)
            await ensure_audit_schema(pool)
            await audit_log.resume()
            bidding = await traffic(bus, auctions=3, rounds=1)
            _make_gap(source_database)
            await bidding.rounds(bus, 2)
            await audit_log.step()
            checkpoint = await AuditStore(pool).latest_checkpoint()
            await bidding.rounds(bus, 1)  # after the checkpoint: restored, not covered by it
    finally:
        store.close()
    assert checkpoint is not None
    events = len(_rows(source_database))
    assert checkpoint.tree_size < events
    return Source(source_database, settings, checkpoint, events)


def _ids_have_a_gap(rows: list[Row]) -> bool:
    ids = [r[0] for r in rows]
    return ids != list(range(ids[0], ids[0] + len(ids)))


def _history_root(settings: Settings, size: int) -> bytes:
    store = build_event_store(settings)
    frontier = Frontier()
    try:
        batches = leaf_batches(settings, store, after=0, up_to=store.head_position())
        for batch in batches:
            frontier.extend(batch.hashes[: size - frontier.size])
        batches.close()
    finally:
        store.close()
    assert frontier.size == size
    return frontier.root()


async def test_backup_then_restore_reproduces_the_history_that_the_checkpoint_signed(
    source: Source, target_database: TestDatabase, data_dir: Path, tmp_path: Path
) -> None:
    source_env = {**cli_env(source.database, tmp_path), "VERACHAIN_DATA_DIR": str(data_dir)}
    target_env = {**cli_env(target_database, tmp_path), "VERACHAIN_DATA_DIR": str(data_dir)}
    backup_dir = tmp_path / "backup"

    done = run_cli("backup", str(backup_dir), env=source_env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        f"backup: {source.events} events and checkpoint at {source.checkpoint.tree_size} "
        f"events written to {backup_dir}\n"
    )
    manifest = json.loads((backup_dir / MANIFEST_FILE).read_text())
    assert manifest["events"] == source.events
    assert manifest["checkpoint"]["tree_size"] == source.checkpoint.tree_size
    assert (backup_dir / "checkpoint.note").read_text() == source.checkpoint.note
    key = checkpoint_signer(source.settings).verifier_key
    assert (backup_dir / "log-key.vkey").read_text().strip() == key

    restored = run_cli("restore", str(backup_dir), env=target_env, cwd=tmp_path)
    assert restored.returncode == 0, restored.stderr
    assert "Traceback" not in restored.stderr
    assert restored.stdout.splitlines()[1] == (
        f"restore: OK: the root of the first {source.checkpoint.tree_size} events is the "
        "signed checkpoint's (key from the backup's log-key.vkey)"
    )

    rows = _rows(target_database)
    assert rows == _rows(source.database)  # same ids (gaps too), same bytes
    assert _ids_have_a_gap(rows)
    target_settings = target_database.settings(data_dir=data_dir)
    assert _history_root(target_settings, source.checkpoint.tree_size) == source.checkpoint.root

    # New events continue after the restored ids.
    store = build_event_store(target_settings)
    try:
        assert target_settings.database_url is not None
        async with (
            build_bus(target_settings, store) as bus,
            AsyncConnectionPool(target_settings.database_url, min_size=1, max_size=3) as pool,
        ):
            await traffic(bus, auctions=1, rounds=1)
            audit_log = _audit_log(target_settings, store, pool)
            await ensure_audit_schema(pool)
            await audit_log.resume()
            await audit_log.step()
            signed = await AuditStore(pool).latest_checkpoint()
            assert signed is not None
            assert signed.tree_size == len(_rows(target_database))
            size = source.checkpoint.tree_size
            assert await AuditProofs(AuditStore(pool)).root(size) == source.checkpoint.root
    finally:
        store.close()
    assert _rows(target_database)[: len(rows)] == rows
    assert min(r[0] for r in _rows(target_database)[len(rows) :]) > rows[-1][0]

    verified = run_cli(
        "audit",
        "verify",
        "-q",
        "--trusted-checkpoint",
        str(backup_dir / "checkpoint.note"),
        "--log-key",
        key,
        env=target_env,
        cwd=tmp_path,
    )
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.startswith("audit verify: OK: ")


def _one_line(stderr: str) -> str:
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


def test_refusals_change_nothing(
    source: Source, target_database: TestDatabase, data_dir: Path, tmp_path: Path
) -> None:
    source_env = {**cli_env(source.database, tmp_path), "VERACHAIN_DATA_DIR": str(data_dir)}
    backup_dir = tmp_path / "backup"
    write_backup(source.settings, backup_dir, checkpoint_signer(source.settings).verifier_key)
    before = _rows(source.database)

    again = run_cli("backup", str(backup_dir), "-q", env=source_env, cwd=tmp_path)
    assert again.returncode == 2
    assert (
        _one_line(again.stderr) == f"backup: {backup_dir} already exists: a backup never overwrites"
    )

    into_itself = run_cli("restore", str(backup_dir), "-q", env=source_env, cwd=tmp_path)
    assert into_itself.returncode == 2
    assert _one_line(into_itself.stderr) == "restore: the event store is not empty"
    assert _rows(source.database) == before

    # One byte of the compressed events changed: refused by the manifest's hash.
    altered = tmp_path / "altered"
    shutil.copytree(backup_dir, altered)
    data = bytearray((altered / EVENTS_FILE).read_bytes())
    data[len(data) // 2] ^= 0x01
    (altered / EVENTS_FILE).write_bytes(bytes(data))
    target_env = cli_env(target_database, tmp_path)
    damaged = run_cli("restore", str(altered), "-q", env=target_env, cwd=tmp_path)
    assert damaged.returncode == 1
    assert "does not match the manifest's SHA-256" in _one_line(damaged.stderr)
    assert _rows(target_database) == []


def test_a_history_that_does_not_match_its_checkpoint_restores_nothing(
    source: Source, target_database: TestDatabase, data_dir: Path, tmp_path: Path
) -> None:
    """Rewritten with a matching manifest hash: the signed checkpoint still catches it,
    before the restore commits."""
    backup_dir = tmp_path / "backup"
    write_backup(source.settings, backup_dir, checkpoint_signer(source.settings).verifier_key)
    lines = gzip.decompress((backup_dir / EVENTS_FILE).read_bytes()).splitlines(keepends=True)
    first = json.loads(lines[0])
    first["originator_version"] += 1000  # a well-formed row, but not the one that was signed
    lines[0] = (json.dumps(first, separators=(",", ":")) + "\n").encode()
    (backup_dir / EVENTS_FILE).write_bytes(gzip.compress(b"".join(lines)))
    manifest = json.loads((backup_dir / MANIFEST_FILE).read_text())
    manifest["events_sha256"] = hashlib.sha256((backup_dir / EVENTS_FILE).read_bytes()).hexdigest()
    (backup_dir / MANIFEST_FILE).write_text(json.dumps(manifest))

    target_settings = target_database.settings(data_dir=data_dir)
    with pytest.raises(BackupDamaged, match="is not the checkpoint's") as failed:
        restore_backup(target_settings, backup_dir)
    assert failed.value.exit_code == 1
    assert _rows(target_database) == []

    with pytest.raises(BackupError, match="already exists"):
        write_backup(source.settings, backup_dir, None)
