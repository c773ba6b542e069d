"""Making a rename or a new file's name survive a crash: fsync of its directory."""

from __future__ import annotations

import os
from pathlib import Path


def sync_directory(directory: Path) -> None:
    """Flush `directory` itself, so the names created or renamed in it are on disk (POSIX
    makes a rename durable only once its directory is). Raises OSError where a directory
    cannot be opened for that; callers that can live without it suppress it."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
