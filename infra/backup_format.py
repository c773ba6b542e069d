"""The on-disk form of `verachain backup PATH` (a directory), shared by backup and restore.

PATH/
  events.jsonl.gz   one JSON object per stored event, in notification_id order:
                    {"notification_id", "originator_id", "originator_version", "topic",
                     "state" (the stored bytes, base64)}; gzip, written with mtime 0
  checkpoint.note   the latest signed checkpoint (C2SP tlog-checkpoint), when there is one
  log-key.vkey      this installation's audit log verifier key, when it has one
  manifest.json     format, counts, id range, SHA-256 of events.jsonl.gz, checkpoint size
                    and root; written last, so a backup without it is incomplete

The state is kept as stored (never decoded and re-encoded through the domain classes), so a
restore is byte-exact and the audit log's leaves, which include `position` =
notification_id, come out the same."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

FORMAT = "verachain-backup/1"
EVENTS_FILE = "events.jsonl.gz"
CHECKPOINT_FILE = "checkpoint.note"
LOG_KEY_FILE = "log-key.vkey"
MANIFEST_FILE = "manifest.json"
EVENTS_TABLE = "verachain_events"

EXIT_DAMAGED = 1
EXIT_BAD_INPUT = 2


class BackupError(Exception):
    """A backup or restore that cannot go ahead: one line, exit code 2 (bad usage/input)."""

    exit_code = EXIT_BAD_INPUT


class BackupDamaged(BackupError):
    """The backup's content does not check out (hash, rows, checkpoint root): exit code 1."""

    exit_code = EXIT_DAMAGED


@dataclass(frozen=True, slots=True)
class StoredRow:
    """One row of verachain_events, as stored."""

    notification_id: int
    originator_id: UUID
    originator_version: int
    topic: str
    state: bytes

    def to_line(self) -> bytes:
        return (
            json.dumps(
                {
                    "notification_id": self.notification_id,
                    "originator_id": str(self.originator_id),
                    "originator_version": self.originator_version,
                    "topic": self.topic,
                    "state": base64.b64encode(self.state).decode("ascii"),
                },
                separators=(",", ":"),
            ).encode()
            + b"\n"
        )

    @classmethod
    def from_line(cls, line: bytes, number: int) -> StoredRow:
        try:
            row = json.loads(line)
            return cls(
                notification_id=_integer(row["notification_id"]),
                originator_id=UUID(row["originator_id"]),
                originator_version=_integer(row["originator_version"]),
                topic=str(row["topic"]),
                state=base64.b64decode(row["state"], validate=True),
            )
        except (ValueError, KeyError, TypeError) as e:
            raise BackupDamaged(f"{EVENTS_FILE} line {number}: not a stored event ({e})") from e


def _integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{value!r} is not an integer")
    return value


@dataclass(frozen=True, slots=True)
class CheckpointInfo:
    tree_size: int
    root_hash: str  # base64, as in the note


@dataclass(frozen=True, slots=True)
class Manifest:
    events: int
    first_notification_id: int | None
    last_notification_id: int | None
    events_sha256: str  # hex, of events.jsonl.gz as written
    checkpoint: CheckpointInfo | None
    created_at: str
    format: str = FORMAT

    def write(self, directory: Path) -> None:
        text = json.dumps(asdict(self), indent=2) + "\n"
        (directory / MANIFEST_FILE).write_text(text, "utf-8")

    @classmethod
    def read(cls, directory: Path) -> Manifest:
        path = directory / MANIFEST_FILE
        if not path.is_file():
            raise BackupError(f"{directory}: no {MANIFEST_FILE} (not a backup, or incomplete)")
        try:
            raw = json.loads(path.read_text("utf-8"))
            if raw.get("format") != FORMAT:
                raise BackupError(f"{path}: format {raw.get('format')!r}, expected {FORMAT!r}")
            checkpoint = raw["checkpoint"]
            return cls(
                events=_integer(raw["events"]),
                first_notification_id=raw["first_notification_id"],
                last_notification_id=raw["last_notification_id"],
                events_sha256=str(raw["events_sha256"]),
                checkpoint=None if checkpoint is None else CheckpointInfo(**checkpoint),
                created_at=str(raw["created_at"]),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            raise BackupError(f"{path}: a malformed manifest ({e})") from e


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
