"""What the API bench runs against: the relay (a task in the bench process), one projection
worker and the API (`verachain api`, each a process of its own), over the bench's database,
broker and Redis; and the auctions it seeds through the command bus."""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import secrets
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from prometheus_client import CollectorRegistry

from commands.actor import Actor, Role
from commands.messages import PlaceBid
from infra.bench.api_load import connect, get_request
from infra.bench.cpu_usage import CpuMeter
from infra.bench.pipeline_bench import start_worker, stop_process, wait_for_lag_zero
from infra.bootstrap import build_bus, build_event_store
from infra.loopback_process import free_port
from infra.relay_runner import run_relay
from infra.scenario import OpenedAuction, open_auctions
from infra.settings import Settings

HOST = "127.0.0.1"
API_LOG = "bench-api.log"
NO_RATE_LIMITS = {
    "VERACHAIN_RATE_READS_PER_MIN": "0",
    "VERACHAIN_RATE_MUTATIONS_PER_MIN": "0",
    "VERACHAIN_RATE_SUBSCRIPTIONS_PER_MIN": "0",
}


@dataclass
class RunningSystem:
    settings: Settings  # with the JWT secret the API verifies tokens with
    api: subprocess.Popen[bytes]
    port: int
    meter: CpuMeter  # CPU of the API, the worker and this process
    relay: asyncio.Task[None]
    worker: subprocess.Popen[bytes]

    async def caught_up(self, timeout_s: float) -> float:
        """Waits until the read model reached the store (seconds it took, see
        wait_for_lag_zero); fails at once if the relay or the worker stopped."""
        url = self.settings.database_url or ""
        waiting = asyncio.ensure_future(wait_for_lag_zero(url, timeout_s))
        try:
            while not waiting.done():
                await asyncio.wait(
                    {waiting, self.relay}, timeout=1.0, return_when="FIRST_COMPLETED"
                )
                if self.relay.done() and not waiting.done():
                    self.relay.result()
                    raise RuntimeError("the relay stopped")
                if self.worker.poll() is not None:
                    raise RuntimeError(f"the worker exited with {self.worker.returncode}")
            return waiting.result()
        finally:
            waiting.cancel()


def raise_open_files_limit() -> int:
    """Soft RLIMIT_NOFILE up to the hard limit, for 10,000 sockets on each side (the API
    process inherits it); returns the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def start_api(settings: Settings, port: int) -> subprocess.Popen[bytes]:
    """`verachain api` on `port` with rate limits off; its log: <data dir>/bench-api.log."""
    log_path = settings.data_dir / API_LOG
    log_path.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **settings.to_env(), **NO_RATE_LIMITS}
    # A file, not a pipe: nobody reads the child's output while it runs.
    with log_path.open("wb") as log_file:
        return subprocess.Popen(  # noqa: S603 - our own interpreter and module, a port number
            [sys.executable, "-m", "infra.cli", "api", "--port", str(port), "--no-graphiql"],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )


async def wait_until_ready(
    api: subprocess.Popen[bytes], log: str, port: int, timeout_s: float
) -> None:
    """Until /ready answers 200 (PostgreSQL, Redis and the broker reachable)."""
    deadline = time.perf_counter() + timeout_s
    last = "no answer"
    while time.perf_counter() < deadline:
        if api.poll() is not None:
            raise RuntimeError(f"the API exited with {api.returncode} (its log: {log})")
        with contextlib.suppress(OSError):
            connection = await connect(HOST, port)
            try:
                status, body = await connection.request(get_request(HOST, port, "/ready"))
            finally:
                connection.close()
            if status == 200:
                return
            last = f"{status} {body[:200]!r}"
        await asyncio.sleep(0.1)
    raise TimeoutError(f"the API was not ready within {timeout_s} s (last answer: {last})")


@contextlib.asynccontextmanager
async def running_system(base: Settings) -> AsyncIterator[RunningSystem]:
    """Relay (task), worker and API (processes) over `base`'s database, broker and Redis."""
    settings = replace(
        base, jwt_secret=base.jwt_secret or secrets.token_urlsafe(32), relay_metrics_port=0
    )
    raise_open_files_limit()
    stop = asyncio.Event()
    relay = asyncio.create_task(run_relay(settings, stop, CollectorRegistry()))
    worker = start_worker(settings, f"bench-api-{uuid.uuid4().hex[:8]}")
    port = free_port()
    api = start_api(settings, port)
    try:
        await wait_until_ready(api, str(settings.data_dir / API_LOG), port, 60)
        pids = {"api": api.pid, "worker": worker.pid, "bench": os.getpid()}
        yield RunningSystem(settings, api, port, CpuMeter(pids), relay, worker)
    finally:
        stop_process(api)
        stop_process(worker)
        stop.set()
        await relay


async def seed_auctions(
    settings: Settings,
    count: int,
    with_bids: int,
    bids_each: int,
    on_opened: Callable[[], None] | None = None,
) -> list[OpenedAuction]:
    """Opens `count` auctions through the command bus; the first `with_bids` get
    `bids_each` bids from three bidders taking turns."""
    store = build_event_store(settings)
    try:
        async with build_bus(settings, store) as bus:
            opened = await open_auctions(
                bus, count, now=datetime.now(UTC), duration=timedelta(hours=2), on_opened=on_opened
            )
            bidders = [Actor.of(f"bench-seed-bidder-{i}", Role.BIDDER) for i in range(3)]

            async def bids(auction: OpenedAuction) -> None:
                for n in range(bids_each):
                    amount = auction.reserve + n * auction.increment
                    await bus.dispatch(
                        PlaceBid(auction_id=auction.auction_id, amount=amount), bidders[n % 3]
                    )

            await asyncio.gather(*(bids(a) for a in opened[:with_bids]))
    finally:
        store.close()
    return opened
