"""`verachain restore PATH`: a backup (infra/backup_format.py) into an empty event store, with
its original notification ids, checked against the backup's signed checkpoint before the
transaction commits: a backup that does not verify restores nothing."""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from eventsourcing.persistence import Notification

from commands.store import EventStore
from infra.backup_format import (
    CHECKPOINT_FILE,
    EVENTS_FILE,
    LOG_KEY_FILE,
    BackupDamaged,
    BackupError,
    Manifest,
    StoredRow,
    file_sha256,
)
from infra.bootstrap import NotConfigured, build_event_store
from infra.settings import Settings
from projections.checkpoint import Checkpoint, CheckpointError, parse_checkpoint
from projections.merkle import Frontier
from projections.signed_note import NoteError, open_note, parse_verifier_key
from streams.audit_leaves import leaf_batch
from streams.history_reader import HISTORY_BATCH, envelopes_of

Advance = Callable[[int], None]
_COPY = (
    "COPY verachain_events (notification_id, originator_id, originator_version, topic, state) "
    "FROM STDIN (FORMAT BINARY)"
)
_COLUMN_TYPES = ["int8", "uuid", "int8", "text", "bytea"]


@dataclass(frozen=True)
class SignedCheckpoint:
    checkpoint: Checkpoint
    key_source: str  # where the verifier key came from, for the report


@dataclass(frozen=True)
class RestoreSummary:
    events: int
    last_notification_id: int | None
    verified: SignedCheckpoint | None  # None: not asked for, or the backup has no checkpoint


def signed_checkpoint(path: Path, log_key: str | None) -> SignedCheckpoint | None:
    """The backup's checkpoint, its signature checked with `log_key` (a vkey) or else the
    backup's own copy of the key; None when the backup has no checkpoint."""
    note_file = path / CHECKPOINT_FILE
    if not note_file.is_file():
        return None
    if log_key:
        key_text, source = log_key, "--log-key"
    elif (path / LOG_KEY_FILE).is_file():
        key_text, source = (path / LOG_KEY_FILE).read_text("utf-8"), f"the backup's {LOG_KEY_FILE}"
    else:
        raise BackupError(f"the backup has no {LOG_KEY_FILE}: pass --log-key NAME+ID+KEY")
    try:
        verifier = parse_verifier_key(key_text.strip())
    except ValueError as e:
        raise BackupError(f"log key ({source}): {e}") from e
    try:
        checkpoint = parse_checkpoint(open_note(note_file.read_text("utf-8"), verifier))
    except (NoteError, CheckpointError) as e:
        raise BackupDamaged(f"{CHECKPOINT_FILE}: {e} (key from {source})") from e
    return SignedCheckpoint(checkpoint, source)


def restore_backup(
    settings: Settings,
    path: Path,
    *,
    log_key: str | None = None,
    verify: bool = True,
    on_total: Callable[[int], None] | None = None,
    advance: Advance | None = None,
) -> RestoreSummary:
    if not settings.database_url:
        raise NotConfigured("VERACHAIN_DATABASE_URL is not set (or run `verachain dev`)")
    manifest = Manifest.read(path)
    events_file = path / EVENTS_FILE
    if not events_file.is_file():
        raise BackupError(f"{path}: no {EVENTS_FILE}")
    # Before touching the database: an altered file is refused whole, not half restored.
    if file_sha256(events_file) != manifest.events_sha256:
        raise BackupDamaged(f"{EVENTS_FILE} does not match the manifest's SHA-256: altered")
    signed = signed_checkpoint(path, log_key) if verify else None
    if on_total is not None:
        on_total(manifest.events)
    store = build_event_store(settings, create_tables=True)  # an empty database is fine too
    try:
        with psycopg.connect(settings.database_url) as conn, conn.transaction():
            # The writers' own lock (commands/recorder.py): no command can append between
            # the emptiness check and the commit, and no reader sees a half-restored log.
            conn.execute("LOCK TABLE verachain_events IN EXCLUSIVE MODE")
            if _has_events(conn):
                raise BackupError("the event store is not empty")
            last = _copy_rows(conn, events_file, manifest, advance)
            if last is not None:
                # New events continue after the restored ids (gaps included), never reuse one.
                conn.execute(
                    "SELECT setval(pg_get_serial_sequence('verachain_events', "
                    "'notification_id'), %s)",
                    (last,),
                )
            if signed is not None:
                _check_root(conn, store, signed.checkpoint)
            conn.execute("NOTIFY verachain_events")  # wake a waiting relay and audit log
    finally:
        store.close()
    return RestoreSummary(manifest.events, last, signed)


def _has_events(conn: psycopg.Connection[Any]) -> bool:
    row = conn.execute("SELECT EXISTS (SELECT 1 FROM verachain_events)").fetchone()
    return bool(row and row[0])


def _copy_rows(
    conn: psycopg.Connection[Any], events_file: Path, manifest: Manifest, advance: Advance | None
) -> int | None:
    last: int | None = None
    count = 0
    with conn.cursor() as cursor, cursor.copy(_COPY) as copy:
        copy.set_types(_COLUMN_TYPES)
        for row in _read_rows(events_file):
            if last is not None and row.notification_id <= last:
                raise BackupDamaged(f"{EVENTS_FILE}: notification ids out of order at {last}")
            copy.write_row(
                (
                    row.notification_id,
                    row.originator_id,
                    row.originator_version,
                    row.topic,
                    row.state,
                )
            )
            last = row.notification_id
            count += 1
            if advance is not None and count % HISTORY_BATCH == 0:
                advance(HISTORY_BATCH)
    if advance is not None:
        advance(count % HISTORY_BATCH)
    if count != manifest.events or last != manifest.last_notification_id:
        raise BackupDamaged(
            f"{EVENTS_FILE} holds {count} events up to id {last}; the manifest says "
            f"{manifest.events} up to {manifest.last_notification_id}"
        )
    return last


def _read_rows(events_file: Path) -> Iterator[StoredRow]:
    try:
        with gzip.open(events_file, "rb") as lines:
            for number, line in enumerate(lines, 1):
                yield StoredRow.from_line(line, number)
    except (OSError, EOFError) as e:  # gzip.BadGzipFile is an OSError
        raise BackupDamaged(f"{EVENTS_FILE}: {e}") from e


def _check_root(conn: psycopg.Connection[Any], store: EventStore, checkpoint: Checkpoint) -> None:
    """The root of the first `checkpoint.size` rows as this transaction now holds them (the
    restored store, before commit), with the audit log's own leaf code."""
    frontier = Frontier()
    with conn.cursor(name="verachain_restore_check") as cursor:
        cursor.execute(
            "SELECT notification_id, originator_id, originator_version, topic, state "
            "FROM verachain_events ORDER BY notification_id LIMIT %s",
            (checkpoint.size,),
        )
        while rows := cursor.fetchmany(HISTORY_BATCH):
            notifications = [
                Notification(
                    id=r[0], originator_id=r[1], originator_version=r[2], topic=r[3], state=r[4]
                )
                for r in rows
            ]
            frontier.extend(leaf_batch(envelopes_of(store, notifications)).hashes)
    if frontier.size < checkpoint.size:
        raise BackupDamaged(
            f"the checkpoint covers {checkpoint.size} events; the backup holds {frontier.size}"
        )
    if frontier.root() != checkpoint.root:
        raise BackupDamaged(
            f"the restored history's root at {checkpoint.size} events is not the checkpoint's"
        )
