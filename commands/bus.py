"""The command bus: `await bus.dispatch(command, actor)` → CommandResult.

Concurrent dispatches are gathered into micro-batches and handed, one batch at a time, to
a single worker thread that decides them and saves all their events in one transaction.
One writer thread per process is deliberate: every insert takes the event table's lock
anyway (commit order = notification order), so parallel writers would only queue on it."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from uuid import UUID, uuid4

from commands.actor import Actor
from commands.batch import BatchProcessor
from commands.messages import Command
from commands.registry import HANDLERS
from commands.results import CommandResult
from commands.submission import InternalError, Submission

_Item = tuple[Submission, "asyncio.Future[CommandResult]"]


@dataclass(frozen=True, slots=True)
class BusConfig:
    window_seconds: float = 0.001  # how long a lone command waits for company
    max_batch: int = 256


class CommandBus:
    def __init__(self, processor: BatchProcessor, config: BusConfig | None = None) -> None:
        self.processor = processor
        self.config = config or BusConfig()
        # None is the stop sentinel: everything queued before it is still handled.
        self._queue: asyncio.Queue[_Item | None] = asyncio.Queue()
        self._executor: ThreadPoolExecutor | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    async def __aenter__(self) -> CommandBus:
        self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()

    def start(self) -> None:
        if self._task is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="command-batch")
            self._task = asyncio.get_running_loop().create_task(self._run(), name="command-bus")

    async def stop(self) -> None:
        """Finish what was queued, then stop."""
        if self._task is None or self._stopping:
            return
        # From here on dispatch() refuses new commands; everything already queued is
        # handled before the sentinel is reached.
        self._stopping = True
        await self._queue.put(None)
        try:
            await self._task
        finally:
            self._task = None
            self._stopping = False
            if self._executor is not None:
                self._executor.shutdown(wait=True)
                self._executor = None

    async def dispatch(
        self,
        command: Command,
        actor: Actor,
        *,
        correlation_id: UUID | None = None,
        causation_id: UUID | None = None,
    ) -> CommandResult:
        """Handle one command; raise its DomainError, or InternalError, if it was refused."""
        if type(command) not in HANDLERS:
            msg = f"no handler for {type(command).__name__}"
            raise TypeError(msg)
        if self._task is None or self._stopping:
            msg = "the command bus is not running"
            raise RuntimeError(msg)
        correlation_id = correlation_id or uuid4()
        submission = Submission(command, actor, correlation_id, causation_id or correlation_id)
        future: asyncio.Future[CommandResult] = asyncio.get_running_loop().create_future()
        await self._queue.put((submission, future))
        return await future

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        executor = self._executor
        stopping = False
        while not stopping:
            first = await self._queue.get()
            if first is None:
                return
            batch = [first]
            if self._queue.empty() and self.config.window_seconds > 0:
                await asyncio.sleep(self.config.window_seconds)
            while len(batch) < self.config.max_batch and not self._queue.empty():
                item = self._queue.get_nowait()
                if item is None:
                    stopping = True
                    break
                batch.append(item)
            submissions = [s for s, _ in batch]
            try:
                await loop.run_in_executor(executor, self.processor.run, submissions)
            except Exception as e:  # keep the bus alive; every caller hears of it
                for s in submissions:
                    if s.result is None and s.error is None:
                        s.error = InternalError(f"the command could not be recorded: {e}")
            _settle(batch)


def _settle(batch: list[_Item]) -> None:
    for s, future in batch:
        if future.done():
            continue
        if s.result is not None:
            future.set_result(s.result)
        else:
            future.set_exception(s.error or InternalError("the command was not handled"))
