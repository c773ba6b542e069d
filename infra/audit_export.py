"""`audit export PATH`: everything an auditor needs to check the log with no access to our
systems, and the reading side of it (`audit verify --from-export PATH`).

PATH/
  README.txt         what is here and how to check it
  log-key.vkey       the log's verifier key (name+keyid+base64); get it from us independently
  events.jsonl       per leaf: {"leaf_index", "leaf_hash" (base64, as logged), "envelope"}
  checkpoints.jsonl  every signed checkpoint: {"tree_size", "root_hash", "note", "signed_at"}
  consistency.jsonl  {"from_size", "to_size", "hashes"} between consecutive checkpoints
  inclusion.jsonl    with --inclusion-proofs: {"leaf_index", "tree_size", "hashes"} per leaf,
                     against the latest checkpoint

The envelopes are the leaf inputs (their RFC 8785 form), so every leaf, root and proof can
be recomputed from this directory alone."""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from domain.envelope import format_utc
from infra.bootstrap import NotConfigured, build_event_store
from infra.settings import Settings
from streams.audit_leaves import LeafBatch, leaf_batch
from streams.audit_proofs import AuditProofs
from streams.audit_store import AuditStore, StoredCheckpoint
from streams.history_reader import history_batches

Advance = Callable[[int], None]
README = """VeraChain audit export: the event history and the signed RFC 9162 log over it.

Check it offline:  verachain audit verify --from-export {path} --log-key "$(cat log-key.vkey)"
(use a verifier key you obtained from the operator, not only the copy in this directory).
Leaf i's input is the RFC 8785 (JCS) form of events.jsonl line i's envelope; its hash is
SHA-256(0x00 || input); checkpoints are C2SP tlog-checkpoint signed notes.
"""


class ExportError(Exception):
    """The export cannot be written or read (a clear one-line reason)."""


async def export_audit(
    settings: Settings,
    path: Path,
    verifier_key: str,
    *,
    inclusion_proofs: bool = False,
    advance: Advance | None = None,
) -> int:
    """Write the export; returns the number of leaves written."""
    if not settings.database_url:
        raise NotConfigured("VERACHAIN_DATABASE_URL is not set")
    await asyncio.to_thread(_start_directory, path, verifier_key)
    store = build_event_store(settings)
    pool: AsyncConnectionPool[AsyncConnection[Any]] = AsyncConnectionPool(
        settings.database_url, min_size=1, max_size=2, open=False
    )
    await pool.open()
    try:
        audit = AuditStore(pool)
        size = await audit.size()
        checkpoints = await audit.checkpoints()
        with (path / "checkpoints.jsonl").open("w") as out:
            for checkpoint in checkpoints:
                _line(out, _checkpoint_json(checkpoint))
        proofs = AuditProofs(audit)
        with (path / "consistency.jsonl").open("w") as out:
            for older, newer in itertools.pairwise(checkpoints):
                hashes = await proofs.consistency(older.tree_size, newer.tree_size)
                _line(
                    out,
                    {
                        "from_size": older.tree_size,
                        "to_size": newer.tree_size,
                        "hashes": _b64_list(hashes),
                    },
                )
        written = await _write_events(store, audit, path / "events.jsonl", size, advance)
        if inclusion_proofs and checkpoints:
            latest = checkpoints[-1].tree_size
            with (path / "inclusion.jsonl").open("w") as out:
                for index in range(latest):
                    hashes = await proofs.inclusion(index, latest)
                    _line(
                        out, {"leaf_index": index, "tree_size": latest, "hashes": _b64_list(hashes)}
                    )
        return written
    finally:
        await pool.close()
        store.close()


def _start_directory(path: Path, verifier_key: str) -> None:
    if path.exists() and any(path.iterdir()):
        raise ExportError(f"{path} is not empty")
    path.mkdir(parents=True, exist_ok=True)
    (path / "README.txt").write_text(README.format(path=path))
    (path / "log-key.vkey").write_text(verifier_key + "\n")


async def _write_events(
    store: Any, audit: AuditStore, target: Path, size: int, advance: Advance | None
) -> int:
    index = 0
    batches: Iterator[list[dict[str, Any]]] = history_batches(store)
    with target.open("w") as out:
        while index < size:
            batch = await asyncio.to_thread(next, batches, None)
            if batch is None:
                break
            batch = batch[: size - index]
            logged = await audit.leaf_hashes(index, index + len(batch))
            for offset, envelope in enumerate(batch):
                digest = logged.get(index + offset)
                _line(
                    out,
                    {
                        "leaf_index": index + offset,
                        "leaf_hash": None if digest is None else base64.b64encode(digest).decode(),
                        "envelope": envelope,
                    },
                )
            index += len(batch)
            if advance is not None:
                advance(len(batch))
    return index


class ExportLog:
    """An export read back as a LogView for verify_log."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._checkpoints = [_checkpoint_from(row) for row in _rows(path / "checkpoints.jsonl")]
        self._consistency = {
            (int(row["from_size"]), int(row["to_size"])): [
                base64.b64decode(h) for h in row["hashes"]
            ]
            for row in _rows(path / "consistency.jsonl")
        }
        self._logged: dict[int, bytes] = {}
        self._size = 0

    async def checkpoints(self) -> list[StoredCheckpoint]:
        return list(self._checkpoints)

    async def leaf_hashes(self, start: int, end: int) -> dict[int, bytes]:
        return {i: self._logged[i] for i in range(start, end) if i in self._logged}

    async def size(self) -> int:
        return self._size

    async def consistency(self, old_size: int, new_size: int) -> list[bytes]:
        try:
            return self._consistency[(old_size, new_size)]
        except KeyError as e:
            raise LookupError(f"the export has no proof {old_size} -> {new_size}") from e

    async def leaves(self, batch_size: int = 5_000) -> AsyncIterator[LeafBatch]:
        """The recomputed leaves, in order; remembers the logged hashes as it goes."""
        envelopes: list[dict[str, Any]] = []
        for row in _rows(self.path / "events.jsonl"):
            index = int(row["leaf_index"])
            if index != self._size:
                raise ExportError(f"events.jsonl: leaf {index} where {self._size} was expected")
            if row.get("leaf_hash") is not None:
                self._logged[index] = base64.b64decode(row["leaf_hash"])
            envelopes.append(row["envelope"])
            self._size += 1
            if len(envelopes) >= batch_size:
                yield leaf_batch(envelopes)
                envelopes = []
        if envelopes:
            yield leaf_batch(envelopes)


def _rows(path: Path) -> Iterator[dict[str, Any]]:
    if not path.exists():
        raise ExportError(f"{path.name} is missing from the export")
    with path.open() as lines:
        for number, line in enumerate(lines, 1):
            try:
                row = json.loads(line)
            except ValueError as e:
                raise ExportError(f"{path.name} line {number}: not JSON ({e})") from e
            if not isinstance(row, dict):
                raise ExportError(f"{path.name} line {number}: not an object")
            yield row


def _line(out: TextIO, value: dict[str, Any]) -> None:
    out.write(json.dumps(value, separators=(",", ":")) + "\n")


def _b64_list(hashes: list[bytes]) -> list[str]:
    return [base64.b64encode(h).decode() for h in hashes]


def _checkpoint_json(checkpoint: StoredCheckpoint) -> dict[str, Any]:
    return {
        "tree_size": checkpoint.tree_size,
        "root_hash": base64.b64encode(checkpoint.root).decode(),
        "note": checkpoint.note,
        "signed_at": format_utc(checkpoint.signed_at),
    }


def _checkpoint_from(row: dict[str, Any]) -> StoredCheckpoint:
    try:
        return StoredCheckpoint(
            tree_size=int(row["tree_size"]),
            root=base64.b64decode(row["root_hash"]),
            note=str(row["note"]),
            signed_at=datetime.fromisoformat(str(row["signed_at"])),
        )
    except (KeyError, ValueError) as e:
        raise ExportError(f"checkpoints.jsonl: a malformed checkpoint ({e})") from e
