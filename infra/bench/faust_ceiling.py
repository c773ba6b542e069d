"""What Faust itself costs per message on this machine: an agent with the projection's
settings (same topics, same take() batching, same fetch wait) that only counts.

`python -m infra.bench.faust_ceiling EXPECTED OUT` reads the event topics from the start
with a fresh consumer group (VERACHAIN_WORKER_GROUP) and writes to the file OUT, as JSON,
how many messages it counted and in how many seconds from the first message to the
EXPECTED-th (a file: a Faust worker redirects its standard output to its log). The
pipeline benchmark runs it beside the worker: the worker can never be faster than this."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import faust

from infra.settings import Settings
from streams.faust_fetch_wait import limit_fetch_wait
from streams.topics import event_topics
from streams.worker_app import BATCH, BATCH_WINDOW_S, FETCH_MAX_WAIT_MS, faust_options


def ceiling_app(settings: Settings, expected: int, out: Path) -> faust.App:
    limit_fetch_wait(FETCH_MAX_WAIT_MS)
    app = faust.App(settings.worker_group or "verachain-faust-ceiling", **faust_options(settings))
    events = app.topic(*event_topics(), value_type=bytes, key_type=bytes)
    counted = 0
    first: float | None = None

    @app.agent(events, concurrency=1)
    async def count(stream: Any) -> AsyncIterator[None]:
        nonlocal counted, first
        async for messages in stream.take(BATCH, within=BATCH_WINDOW_S):
            if first is None:
                first = time.perf_counter()
            counted += len(messages)
            if counted >= expected:
                seconds = time.perf_counter() - first
                figures = json.dumps({"messages": counted, "seconds": seconds})
                await asyncio.to_thread(out.write_text, figures)
                os._exit(0)  # the measurement is done; Faust's shutdown takes seconds
            yield None

    return app


def main() -> None:
    expected, out = int(sys.argv[1]), Path(sys.argv[2])
    app = ceiling_app(Settings.from_env(), expected, out)
    sys.argv = [sys.argv[0], "worker", "--loglevel", "warn"]
    app.main()


if __name__ == "__main__":
    main()
