"""The parent's side of tests/support/hammer_worker.py: start, release, await or kill it."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import cast

from tests.support.hammer_worker import Intent, Report, WorkerPlan

PROJECT_ROOT = Path(__file__).resolve().parents[2]
READY_SECONDS = 60  # a cold start of Python and the imports, on a loaded machine
FINISH_SECONDS = 120


class WorkerProcess:
    def __init__(
        self, plan: WorkerPlan, process: asyncio.subprocess.Process, stderr_path: Path
    ) -> None:
        self.plan = plan
        self.process = process
        self.stderr_path = stderr_path

    @classmethod
    async def start(cls, plan: WorkerPlan, workdir: Path) -> WorkerProcess:
        plan_path = workdir / f"plan-{plan.name}.json"
        plan_path.write_text(plan.to_json())
        stderr_path = workdir / f"stderr-{plan.name}.txt"
        # stderr goes to a file: a full pipe would block a chatty child.
        with stderr_path.open("wb") as stderr:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "tests.support.hammer_worker",
                str(plan_path),
                cwd=PROJECT_ROOT,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=stderr,
            )
        return cls(plan, process, stderr_path)

    def diagnostics(self) -> str:
        text = self.stderr_path.read_text(errors="replace") if self.stderr_path.exists() else ""
        return f"worker {self.plan.name} (exit {self.process.returncode}): {text[-3000:]}"

    async def ready(self) -> None:
        assert self.process.stdout is not None
        async with asyncio.timeout(READY_SECONDS):
            line = await self.process.stdout.readline()
        assert line == b"READY\n", f"{line!r}; {self.diagnostics()}"

    async def go(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(b"GO\n")
        await self.process.stdin.drain()

    async def finish(self) -> Report:
        async with asyncio.timeout(FINISH_SECONDS):
            stdout, _ = await self.process.communicate()
        assert self.process.returncode == 0, self.diagnostics()
        assert stdout.strip().endswith(b"DONE"), self.diagnostics()
        text = await asyncio.to_thread(Path(self.plan.report_path).read_text)
        return cast(Report, json.loads(text))

    async def kill(self) -> None:
        """SIGKILL: no cleanup runs in the child, as in a crash."""
        if self.process.returncode is None:
            self.process.kill()
        await self.process.communicate()

    async def aclose(self) -> None:
        """Make sure the child is gone (after a failed test, too)."""
        if self.process.returncode is None:
            await self.kill()


async def start_all(plans: list[WorkerPlan], workdir: Path) -> list[WorkerProcess]:
    """Start the workers, wait until each is ready, then release them together."""
    workers = [await WorkerProcess.start(plan, workdir) for plan in plans]
    try:
        await asyncio.gather(*(w.ready() for w in workers))
        await asyncio.gather(*(w.go() for w in workers))
    except BaseException:
        await asyncio.gather(*(w.aclose() for w in workers))
        raise
    return workers


def read_json_lines(path: Path) -> list[dict[str, object]]:
    """Complete lines only: a child killed mid-write may leave half a line at the end."""
    if not path.exists():
        return []
    records: list[dict[str, object]] = []
    for line in path.read_text().splitlines(keepends=True):
        if line.endswith("\n"):
            records.append(json.loads(line))
    return records


def read_intents(path: Path) -> list[Intent]:
    return cast(list[Intent], read_json_lines(path))
