"""The pipeline benchmark's latency phase: bids at a fixed rate through the command bus,
and for each one the time from its acknowledgement to its live-update message on Redis
pub/sub (matched by global position). Times are wall-clock seconds, so that they compare
with the Kafka records' timestamps: the delay splits into the relay's leg (ack → record
appended by the relay's producer) and the worker's leg (record → live update)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from redis.asyncio import Redis

from commands.actor import Actor, Role
from commands.messages import PlaceBid
from domain.errors import DomainError
from infra.bench.measurements import PhaseMeasurement
from infra.bootstrap import build_bus, build_event_store
from infra.scenario import open_auctions
from infra.settings import Settings

AUCTIONS = 50
Progress = Callable[[str, float], None]
WaitForReadModel = Callable[[], Awaitable[object]]


class LiveUpdateListener:
    """Receives every auction live update and notes when each position arrived."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self.received: dict[int, float] = {}
        self.expected: set[int] = set()
        self.all_seen = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._pubsub = self.redis.pubsub()
        await self._pubsub.psubscribe("verachain:auction:*")
        self._task = asyncio.create_task(self._listen())

    async def _listen(self) -> None:
        while True:
            message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            if message is None:
                continue
            update = json.loads(message["data"])
            if update.get("kind") == "BID_PLACED":
                self.received[int(update["position"])] = time.time()
                if self.expected and self.expected <= self.received.keys():
                    self.all_seen.set()

    async def wait_for(self, positions: set[int], timeout_s: float) -> None:
        self.expected = positions
        if positions <= self.received.keys():
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.all_seen.wait(), timeout_s)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
        await self._pubsub.aclose()  # type: ignore[no-untyped-call]


@dataclass
class LatencyRun:
    """Acknowledgement and live-update times (wall clock) by global position."""

    seconds: float
    acked: dict[int, float] = field(default_factory=dict)
    received: dict[int, float] = field(default_factory=dict)

    @property
    def missing(self) -> int:
        return len(self.acked.keys() - self.received.keys())

    def end_to_end(self) -> PhaseMeasurement:
        return self._legs("ack → live update", self.acked, self.received)

    def relay_leg(self, on_broker: dict[int, float]) -> PhaseMeasurement:
        return self._legs("ack → on the broker", self.acked, on_broker)

    def worker_leg(self, on_broker: dict[int, float]) -> PhaseMeasurement:
        return self._legs("on the broker → live update", on_broker, self.received)

    def _legs(self, name: str, start: dict[int, float], end: dict[int, float]) -> PhaseMeasurement:
        measurement = PhaseMeasurement(name)
        for position in self.acked:
            if position in start and position in end:
                measurement.record(max(0.0, end[position] - start[position]), None)
        measurement.seconds = self.seconds
        return measurement


async def paced_bids(
    settings: Settings,
    rate: float,
    seconds: float,
    progress: Progress,
    wait_for_read_model: WaitForReadModel,
) -> dict[int, float]:
    """Dispatch bids at `rate` per second (open loop); return ack time by position."""
    acked: dict[int, float] = {}
    store = build_event_store(settings)
    try:
        async with build_bus(settings, store) as bus:
            opened = await open_auctions(
                bus, AUCTIONS, now=datetime.now(UTC), duration=timedelta(hours=2)
            )
            await wait_for_read_model()
            bidders = [Actor.of(f"pipeline-bidder-{i}", Role.BIDDER) for i in range(AUCTIONS)]
            amounts = {a.auction_id: a.reserve for a in opened}

            async def bid(n: int) -> None:
                auction = opened[n % len(opened)]
                amount = amounts[auction.auction_id]
                amounts[auction.auction_id] = amount + auction.increment
                with contextlib.suppress(DomainError):
                    result = await bus.dispatch(
                        PlaceBid(auction_id=auction.auction_id, amount=amount),
                        bidders[n % len(bidders)],
                    )
                    acked[result.position] = time.time()

            total = int(rate * seconds)
            started = time.perf_counter()
            tasks = []
            for n in range(total):
                # Open loop: command n leaves at its slot whatever the others are doing.
                delay = started + n / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(bid(n)))
                if n % 100 == 0:
                    progress("latency", (n + 1) / total)
            await asyncio.gather(*tasks)
            progress("latency", 1.0)
    finally:
        store.close()
    return acked


async def measure_latency(
    settings: Settings,
    rate: float,
    seconds: float,
    progress: Progress,
    wait_for_read_model: WaitForReadModel,
) -> LatencyRun:
    """Bids at `rate` for `seconds`, with their ack and live-update times."""
    assert settings.redis_url is not None
    redis = Redis.from_url(settings.redis_url)
    listener = LiveUpdateListener(redis)
    await listener.start()
    try:
        acked = await paced_bids(settings, rate, seconds, progress, wait_for_read_model)
        await listener.wait_for(set(acked), timeout_s=30)
    finally:
        await listener.stop()
        await redis.aclose()
    return LatencyRun(seconds, acked, dict(listener.received))
