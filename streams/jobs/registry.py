"""Which handler runs which kind of job.

A handler is opened inside the worker's event loop (it may hold a database pool or a client)
and closed when the agent stops, hence openers rather than bare functions."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from streams.jobs.job import Job


class JobRejected(Exception):
    """The job can never succeed as it is (bad input: a malformed payload, an unknown
    subject): the runner dead-letters it at once, with this message, instead of retrying."""


class JobHandler(Protocol):
    """Runs one job; raising means "retry it" (JobRejected: "never retry"). Must be
    idempotent per job id: delivery is at-least-once, and a job may run again after it
    succeeded (a crash before the ack)."""

    def __call__(self, job: Job, /) -> Awaitable[None]: ...


HandlerOpener = Callable[[], AbstractAsyncContextManager[JobHandler]]


class JobRegistry:
    def __init__(self) -> None:
        self._openers: dict[str, HandlerOpener] = {}

    def register(self, kind: str, opener: HandlerOpener) -> None:
        if kind in self._openers:
            raise ValueError(f"a handler for job kind {kind!r} is already registered")
        self._openers[kind] = opener

    def register_function(self, kind: str, handler: Callable[[Job], Awaitable[None]]) -> None:
        """A handler that needs no resources of its own."""

        @contextlib.asynccontextmanager
        async def opener() -> AsyncIterator[JobHandler]:
            yield handler

        self.register(kind, opener)

    def kinds(self) -> list[str]:
        return sorted(self._openers)

    def opener(self, kind: str) -> HandlerOpener:
        return self._openers[kind]
