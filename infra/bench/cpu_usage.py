"""Where a bench phase's CPU went: the machine's busy time and named processes' user +
system time, from /proc (Linux), as a percentage of one core. On a 2-core machine where the
load generator, the API, the worker, PostgreSQL and the broker all share the CPUs, this is
what says whether a throughput figure is the server's limit or the machine's."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


def _process_ticks(pid: int) -> int:
    """utime + stime of a process (all its threads), in clock ticks; 0 once it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0
    fields = raw[raw.rindex(")") + 2 :].split()  # the command name may hold spaces
    return int(fields[11]) + int(fields[12])


def _busy_ticks() -> int:
    """Ticks every CPU spent on anything but idle and I/O wait, since boot."""
    try:
        first = Path("/proc/stat").read_text().splitlines()[0].split()
    except OSError:
        return 0
    values = [int(v) for v in first[1:9]]
    return sum(values) - values[3] - values[4]


def rss_kib(pid: int) -> int:
    """VmRSS of a process in KiB (0 if unreadable)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


@dataclass
class CpuSnapshot:
    at: float
    busy: int
    processes: dict[str, int]


class CpuMeter:
    """`start()` then `stop()` around a phase: percent of one core per named process, the
    machine's total (out of 100 per CPU) and the rest (PostgreSQL, Redis, the broker...)."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self._start: CpuSnapshot | None = None

    def _snapshot(self) -> CpuSnapshot:
        ticks = {name: _process_ticks(pid) for name, pid in self.pids.items()}
        return CpuSnapshot(time.perf_counter(), _busy_ticks(), ticks)

    def start(self) -> None:
        self._start = self._snapshot()

    def stop(self) -> dict[str, float]:
        assert self._start is not None, "start() first"
        end, begin = self._snapshot(), self._start
        wall = end.at - begin.at
        if wall <= 0:
            return {}

        def percent(ticks: int) -> float:
            return round(100.0 * ticks / _TICKS / wall, 1)

        usage = {name: percent(end.processes[name] - begin.processes[name]) for name in self.pids}
        machine = percent(end.busy - begin.busy)
        usage["machine"] = machine
        usage["others"] = round(max(0.0, machine - sum(usage[n] for n in self.pids)), 1)
        usage["cpus"] = float(os.cpu_count() or 1)
        return usage
