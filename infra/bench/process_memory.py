"""Resident memory of a process and its worker processes, read from /proc (Linux)."""

from __future__ import annotations

import contextlib
import os
import resource
from pathlib import Path


def process_tree_rss_mb() -> float:
    """Resident set size of this process plus its children running the same Python (the
    relay's preparing workers), in MB; other children (the embedded broker) are left out.
    0 where /proc is missing."""
    own_exe = _exe(os.getpid())
    pids = [os.getpid(), *(pid for pid in _children() if _exe(pid) == own_exe)]
    return sum(_rss_pages(pid) for pid in pids) * resource.getpagesize() / (1024 * 1024)


def _children() -> list[int]:
    pids: list[int] = []
    for task in Path("/proc/self/task").glob("*"):
        with contextlib.suppress(OSError, ValueError):
            pids.extend(int(p) for p in (task / "children").read_text().split())
    return pids


def _exe(pid: int) -> str | None:
    try:
        return os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return None


def _rss_pages(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        return 0
