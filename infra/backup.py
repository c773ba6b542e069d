"""`verachain backup PATH`: the event store's rows, exactly as stored, with the latest signed
checkpoint, into a new directory (format: infra/backup_format.py)."""

from __future__ import annotations

import base64
import contextlib
import gzip
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg import IsolationLevel

from domain.envelope import format_utc
from infra.backup_format import (
    CHECKPOINT_FILE,
    EVENTS_FILE,
    LOG_KEY_FILE,
    BackupError,
    CheckpointInfo,
    Manifest,
    StoredRow,
    file_sha256,
)
from infra.bootstrap import NotConfigured
from infra.durable import sync_directory
from infra.settings import Settings

Advance = Callable[[int], None]
READ_BATCH = 10_000
_SELECT_EVENTS = (
    "SELECT notification_id, originator_id, originator_version, topic, state "
    "FROM verachain_events ORDER BY notification_id"
)


@dataclass(frozen=True)
class BackupSummary:
    manifest: Manifest
    log_key_included: bool


def write_backup(
    settings: Settings,
    path: Path,
    log_key: str | None,
    *,
    on_total: Callable[[int], None] | None = None,
    advance: Advance | None = None,
) -> BackupSummary:
    """Write the backup to `path`, which must not exist; `log_key` (a vkey) is copied in
    for the restorer's convenience. On any failure the partial directory is removed."""
    if not settings.database_url:
        raise NotConfigured("VERACHAIN_DATABASE_URL is not set (or run `verachain dev`)")
    try:
        path.mkdir(parents=False)  # atomic: never writes into something that already exists
    except FileExistsError:
        raise BackupError(f"{path} already exists: a backup never overwrites") from None
    except FileNotFoundError:
        raise BackupError(f"{path.parent} does not exist") from None
    try:
        manifest = _write(settings.database_url, path, on_total, advance)
        if log_key is not None:
            (path / LOG_KEY_FILE).write_text(log_key.strip() + "\n", "utf-8")
        manifest.write(path)  # last: its presence marks a complete backup
        _sync(path)
    except BaseException:
        shutil.rmtree(path, ignore_errors=True)
        raise
    return BackupSummary(manifest, log_key is not None)


def _write(
    database_url: str, path: Path, on_total: Callable[[int], None] | None, advance: Advance | None
) -> Manifest:
    with psycopg.connect(database_url) as conn:
        # One REPEATABLE READ snapshot for the rows and the checkpoint: commits made while
        # the backup runs are all out, and the checkpoint's tree only covers rows that are in
        # (the audit log signs leaves of events committed before the checkpoint was).
        conn.isolation_level = IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        with conn.transaction():
            count_row = conn.execute("SELECT count(*) FROM verachain_events").fetchone()
            if on_total is not None and count_row is not None:
                on_total(int(count_row[0]))
            checkpoint = _latest_checkpoint(conn)
            first, last, written = _write_events(conn, path / EVENTS_FILE, advance)
    if checkpoint is not None:
        (path / CHECKPOINT_FILE).write_text(checkpoint[1], "utf-8")
    return Manifest(
        events=written,
        first_notification_id=first,
        last_notification_id=last,
        events_sha256=file_sha256(path / EVENTS_FILE),
        checkpoint=None if checkpoint is None else checkpoint[0],
        created_at=format_utc(datetime.now(UTC)),
    )


def _write_events(
    conn: psycopg.Connection[Any], target: Path, advance: Advance | None
) -> tuple[int | None, int | None, int]:
    first: int | None = None
    last: int | None = None
    written = 0
    # A server-side cursor: the table is read in batches, never held in memory whole.
    with (
        conn.cursor(name="verachain_backup") as cursor,
        target.open("wb") as raw,
        gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out,
    ):
        cursor.itersize = READ_BATCH
        cursor.execute(_SELECT_EVENTS)
        while rows := cursor.fetchmany(READ_BATCH):
            out.write(
                b"".join(
                    StoredRow(int(r[0]), r[1], int(r[2]), str(r[3]), bytes(r[4])).to_line()
                    for r in rows
                )
            )
            first = int(rows[0][0]) if first is None else first
            last = int(rows[-1][0])
            written += len(rows)
            if advance is not None:
                advance(len(rows))
        out.flush()
        raw.flush()
        os.fsync(raw.fileno())
    return first, last, written


def _latest_checkpoint(conn: psycopg.Connection[Any]) -> tuple[CheckpointInfo, str] | None:
    exists = conn.execute("SELECT to_regclass('verachain_audit_checkpoints')").fetchone()
    if exists is None or exists[0] is None:
        return None  # the audit log has never run here
    row = conn.execute(
        "SELECT tree_size, root, note FROM verachain_audit_checkpoints "
        "ORDER BY tree_size DESC LIMIT 1"
    ).fetchone()
    if row is None:
        return None
    return CheckpointInfo(int(row[0]), base64.b64encode(bytes(row[1])).decode()), str(row[2])


def _sync(directory: Path) -> None:
    """Make the files' names durable before the command reports success."""
    with contextlib.suppress(OSError):
        sync_directory(directory)
