"""Where report files live: `<VERACHAIN_DATA_DIR>/reports/<kind>/<id>.<format>`.

Paths are kept relative to the data directory (in the index too), so the worker that
writes a report and the API that serves it may mount that directory at different places;
they must share it (one machine, or a shared volume)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import uuid
from pathlib import Path, PurePosixPath

from infra.durable import sync_directory

REPORTS_DIR = "reports"
FORMATS = ("csv", "json")
_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")


class ReportFileMissing(LookupError):
    """An indexed report's file is absent here or does not hold what the index says."""


def relative_path(kind: str, report_id: str, fmt: str) -> str:
    """`reports/<kind>/<id>.<fmt>`; refuses names that could leave the reports directory."""
    if fmt not in FORMATS or not _NAME.fullmatch(kind) or not _NAME.fullmatch(report_id):
        raise ValueError(f"not a report file name: {kind}/{report_id}.{fmt}")
    return str(PurePosixPath(REPORTS_DIR, kind, f"{report_id}.{fmt}"))


def _resolve(data_dir: Path, relative: str) -> Path:
    root = (data_dir / REPORTS_DIR).resolve()
    path = (data_dir / relative).resolve()
    if not path.is_relative_to(root):
        raise ValueError(f"{relative} is outside {root}")
    return path


def write_atomically(data_dir: Path, relative: str, data: bytes) -> None:
    """Write to a temporary file beside the target, flush it to disk, rename it over the
    target: a reader sees the old file or the new one, never a part of either."""
    path = _resolve(data_dir, relative)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with temporary.open("wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
    sync_directory(path.parent)  # the rename itself is durable only once the directory is


def read_verified(data_dir: Path, relative: str, sha256: str) -> bytes:
    """The file's bytes if their SHA-256 is `sha256`; ReportFileMissing otherwise."""
    try:
        data = _resolve(data_dir, relative).read_bytes()
    except (FileNotFoundError, IsADirectoryError, ValueError) as e:
        raise ReportFileMissing(f"{relative} is not in the data directory") from e
    if hashlib.sha256(data).hexdigest() != sha256:
        raise ReportFileMissing(f"{relative} does not match its SHA-256 in the report index")
    return data


def is_intact(data_dir: Path, relative: str, sha256: str) -> bool:
    try:
        read_verified(data_dir, relative, sha256)
    except ReportFileMissing:
        return False
    return True
