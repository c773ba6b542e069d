"""The directory of scheduled backups, `<VERACHAIN_DATA_DIR>/backups/<slot name>/`: writing
one without ever showing a half-written backup under its final name, and keeping the newest.

Only directories named like a slot (`2026-11-27T0200Z`) that hold a manifest count as
scheduled backups: anything else an operator puts there is neither counted nor removed.
Work in progress hides under dot-names (`.<slot>.partial-<id>`, `.<slot>.pruning-<id>`)."""

from __future__ import annotations

import contextlib
import enum
import logging
import shutil
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from infra.backup import write_backup
from infra.backup_format import MANIFEST_FILE
from infra.durable import sync_directory
from infra.settings import Settings

log = logging.getLogger(__name__)

BACKUPS_DIR = "backups"
SLOT_NAME = "%Y-%m-%dT%H%MZ"  # sorts like the slots; no colons (portable file names)
PARTIAL = ".partial-"
PRUNING = ".pruning-"


class Outcome(enum.Enum):
    WRITTEN = "written"
    ALREADY_DONE = "already done"  # a redelivered job, or another copy of it won the race
    TOO_OLD = "too old"  # KEEP newer backups exist: it would be pruned at once


@dataclass(frozen=True, slots=True)
class BackupResult:
    outcome: Outcome
    path: Path
    pruned: tuple[str, ...]


def backups_root(settings: Settings) -> Path:
    return settings.data_dir / BACKUPS_DIR


def slot_name(slot: datetime) -> str:
    return slot.astimezone(UTC).strftime(SLOT_NAME)


def is_slot_name(name: str) -> bool:
    try:
        parsed = datetime.strptime(name, SLOT_NAME).replace(tzinfo=UTC)
    except ValueError:
        return False
    return slot_name(parsed) == name  # the one spelling (strptime accepts "2026-1-7T...")


def complete_backups(root: Path) -> list[str]:
    """The scheduled backups in `root`, newest first."""
    if not root.is_dir():
        return []
    names = [
        child.name
        for child in root.iterdir()
        if is_slot_name(child.name) and (child / MANIFEST_FILE).is_file()
    ]
    return sorted(names, reverse=True)


def write_scheduled_backup(settings: Settings, slot: datetime, log_key: str | None) -> BackupResult:
    """Back up the event store as the slot's backup unless it exists, then prune. Blocking."""
    root = backups_root(settings)
    root.mkdir(parents=True, exist_ok=True)
    name = slot_name(slot)
    final = root / name
    if (final / MANIFEST_FILE).is_file():
        return BackupResult(Outcome.ALREADY_DONE, final, prune(root, settings.backup_keep, name))
    newer = [other for other in complete_backups(root) if other > name]
    if len(newer) >= settings.backup_keep:
        return BackupResult(Outcome.TOO_OLD, final, prune(root, settings.backup_keep, name))
    # A name of this attempt's own: two copies of one job (a redelivery racing its retry)
    # each write their own; the first rename wins and the other copy discards its work.
    partial = root / f".{name}{PARTIAL}{uuid.uuid4().hex[:12]}"
    write_backup(settings, partial, log_key)  # removes `partial` itself if it fails
    try:
        partial.rename(final)  # atomic within one file system; refuses a non-empty target
    except OSError:
        shutil.rmtree(partial, ignore_errors=True)
        if not (final / MANIFEST_FILE).is_file():
            raise
        return BackupResult(Outcome.ALREADY_DONE, final, prune(root, settings.backup_keep, name))
    _sync(root)
    return BackupResult(Outcome.WRITTEN, final, prune(root, settings.backup_keep, name))


def prune(root: Path, keep: int, current: str) -> tuple[str, ...]:
    """Remove all but the newest `keep` scheduled backups; return the names removed. Each is
    renamed to a hidden name first, so a crash mid-removal leaves no damaged backup under a
    name that `verachain restore` would be pointed at."""
    doomed = complete_backups(root)[keep:]
    removed: list[str] = []
    for name in doomed:
        trash = root / f".{name}{PRUNING}{uuid.uuid4().hex[:12]}"
        try:
            (root / name).rename(trash)
        except FileNotFoundError:
            continue  # a concurrent job (another slot's) pruned it first
        shutil.rmtree(trash, ignore_errors=True)
        removed.append(name)
    _remove_leftovers(root, current)
    return tuple(removed)


def _remove_leftovers(root: Path, current: str) -> None:
    """What crashed runs left: pruning trash, and partial writes of slots older than this
    job's (the current slot's partials may belong to a copy of this job still writing)."""
    for child in root.iterdir():
        if not child.name.startswith(".") or not child.is_dir():
            continue
        if PRUNING in child.name:
            shutil.rmtree(child, ignore_errors=True)
        elif PARTIAL in child.name and child.name[1:].split(PARTIAL, 1)[0] < current:
            log.info("removing %s, left by an interrupted backup", child)
            shutil.rmtree(child, ignore_errors=True)


def _sync(directory: Path) -> None:
    """Make the rename durable before the job counts as done."""
    with contextlib.suppress(OSError):
        sync_directory(directory)
