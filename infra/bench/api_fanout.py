"""The API bench's fan-out phase: thousands of `/ws` subscribers of one auction on one API
process, then one bid, and the time until each subscriber received its `auction:update`.

Subscribers are opened in batches (each one connects, sends `subscribe:auction` and waits
for the `subscribed` acknowledgement, after which it is sure to receive every update), so
the server's accept queue is never overrun. The levels are cumulative (1,000, then 4,000
more, ...): at each, the server process's resident memory is read from /proc before the
bid, so `(RSS now - RSS before any connection) / connected` is the memory of an idle
subscriber. Then one bid is placed over HTTP, and each update's arrival is timed from the
bid's acknowledgement, and from the moment the bench's own Redis subscription saw the
worker publish it, which splits the pipeline's share (ack → Redis) from the API's
(Redis → every socket). The receive time is when the update's bytes reached the client's
socket reader (_TimedConnection); the raw text is decoded after the level is over. The
same code measures the client's own ceiling against a minimal server (ws_ceiling.py)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import statistics
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis
from websockets.asyncio.client import ClientConnection, connect
from websockets.datastructures import Headers

from infra.bench.cpu_usage import CpuMeter, rss_kib
from projections.live_model import auction_channel

# Sends the n-th level's update on its way (the API: places a bid over HTTP); returns its
# global position and when the request was sent and acknowledged (perf_counter).
Trigger = Callable[[int], Awaitable[tuple[int, float, float]]]
Tick = Callable[[int], None]
DELIVERY_TIMEOUT_S = 30.0
SUBSCRIBE_TIMEOUT_S = 30.0
UPDATE_TYPE = "auction:update"


@dataclass(frozen=True)
class FanoutConfig:
    ws_url: str
    auction_id: str
    levels: tuple[int, ...]
    server_pid: int
    redis_url: str | None  # None: no Redis leg to time (the ceiling's server)
    deflate: bool = True  # what browsers offer; the server decides whether to use it
    batch: int = 200
    freeze_gc: bool = True  # keep the client's own full collections out of the timings


class _TimedConnection(ClientConnection):
    """Notes when each read's bytes arrived, before websockets parses them: an update's
    receive time is then when it reached the client, not when the client's reader task
    got its turn (with 10,000 of them woken at once, that is hundreds of ms later). A
    later read (a ping) only moves the time later, never earlier."""

    arrived_at = 0.0

    def data_received(self, data: bytes) -> None:
        self.arrived_at = time.perf_counter()
        super().data_received(data)


@dataclass
class _Subscriber:
    connection: _TimedConnection
    received: list[tuple[float, str]] = field(default_factory=list)
    task: asyncio.Task[None] | None = None

    async def read(self, arrived: Callable[[], None]) -> None:
        with contextlib.suppress(Exception):
            async for message in self.connection:
                self.received.append((self.connection.arrived_at, str(message)))
                arrived()


class _Arrivals:
    """Counts update arrivals and wakes the level's waiter when all came."""

    def __init__(self) -> None:
        self.count = 0
        self.expected = 0
        self.done = asyncio.Event()

    def expect(self, count: int) -> None:
        self.count, self.expected = 0, count
        self.done.clear()

    def arrived(self) -> None:
        self.count += 1
        if self.count >= self.expected:
            self.done.set()


async def _subscribe(config: FanoutConfig, arrivals: _Arrivals) -> _Subscriber:
    connection = await connect(
        config.ws_url,
        create_connection=_TimedConnection,
        proxy=None,
        compression="deflate" if config.deflate else None,
        ping_interval=None,  # the server pings; an overloaded client must not time out
        open_timeout=SUBSCRIBE_TIMEOUT_S,
        close_timeout=2,
        max_queue=16,
    )
    try:
        request = {"type": "subscribe:auction", "auctionId": config.auction_id}
        await connection.send(json.dumps(request))
        async with asyncio.timeout(SUBSCRIBE_TIMEOUT_S):
            while (reply := json.loads(await connection.recv())).get("type") != "subscribed":
                if reply.get("type") == "error":
                    raise RuntimeError(f"subscribe refused: {reply.get('code')}")
    except BaseException:
        await connection.close()
        raise
    assert isinstance(connection, _TimedConnection)
    subscriber = _Subscriber(connection)
    subscriber.task = asyncio.create_task(subscriber.read(arrivals.arrived))
    return subscriber


def _timings(delays: list[float]) -> dict[str, float]:
    def ms(q: float) -> float:
        if len(delays) < 2:
            return round(delays[0] * 1000, 2) if delays else 0.0
        cuts = statistics.quantiles(delays, n=1000, method="inclusive")
        return round(cuts[min(int(q * 1000) - 1, len(cuts) - 1)] * 1000, 2)

    return {
        "p50_ms": ms(0.50),
        "p99_ms": ms(0.99),
        "max_ms": round(max(delays, default=0) * 1000, 2),
    }


async def _published_at(redis: Redis, channel: str, position: asyncio.Future[int]) -> float:
    """When the worker's live update with the bid's position reached the bench's own
    subscription (the moment the API's hub received it too, give or take)."""
    pubsub = redis.pubsub()
    await pubsub.subscribe(channel)
    try:
        while True:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            if message is None:
                continue
            at = time.perf_counter()
            if int(json.loads(message["data"]).get("position", -1)) == await position:
                return at
    finally:
        await pubsub.aclose()  # type: ignore[no-untyped-call]


class _Fanout:
    def __init__(self, config: FanoutConfig, trigger: Trigger, meter: CpuMeter) -> None:
        self.config = config
        self.trigger = trigger
        self.meter = meter
        self.arrivals = _Arrivals()
        self.subscribers: list[_Subscriber] = []
        self.failures: Counter[str] = Counter()
        self.sample: str | None = None  # one update as received, for the ceiling

    @property
    def attempted(self) -> int:
        return len(self.subscribers) + sum(self.failures.values())

    async def grow(self, level: int, tick: Tick) -> float:
        """Opens subscribers in batches until `level` were attempted; returns seconds."""
        started = time.perf_counter()
        while self.attempted < level:
            size = min(self.config.batch, level - self.attempted)
            opened = await asyncio.gather(
                *(_subscribe(self.config, self.arrivals) for _ in range(size)),
                return_exceptions=True,
            )
            for outcome in opened:
                if isinstance(outcome, BaseException):
                    self.failures[type(outcome).__name__] += 1
                else:
                    self.subscribers.append(outcome)
            tick(self.attempted)
        return time.perf_counter() - started

    async def deliver(self, number: int, redis: Redis | None) -> dict[str, Any]:
        """Triggers one update and times its arrival at every subscriber."""
        for subscriber in self.subscribers:
            subscriber.received.clear()
        self.arrivals.expect(len(self.subscribers))
        position: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        published = None
        if redis is not None:
            channel = auction_channel(self.config.auction_id)
            published = asyncio.create_task(_published_at(redis, channel, position))
            await asyncio.sleep(0.2)  # the bench's own SUBSCRIBE is in place
        if self.config.freeze_gc:
            gc.collect()
            gc.freeze()  # the subscribers just opened stay out of the collector's sight
        self.meter.start()
        bid_position, sent_at, acked_at = await self.trigger(number)
        position.set_result(bid_position)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.arrivals.done.wait(), DELIVERY_TIMEOUT_S)
        cpu = self.meter.stop()
        published_at = await asyncio.wait_for(published, 5.0) if published else None
        arrivals = self._arrival_times(bid_position)
        figures: dict[str, Any] = {
            "position": bid_position,
            "received_update": len(arrivals),
            "missing_update": len(self.subscribers) - len(arrivals),
            "trigger_ms": round((acked_at - sent_at) * 1000, 2),
            "from_ack": _timings([at - acked_at for at in arrivals]),
            "first_to_last_ms": round((max(arrivals) - min(arrivals)) * 1000, 2)
            if arrivals
            else 0.0,
            "cpu_percent": cpu,
        }
        if published_at is not None:
            figures["ack_to_redis_publish_ms"] = round((published_at - acked_at) * 1000, 2)
            figures["from_redis_publish"] = _timings([at - published_at for at in arrivals])
        return figures

    def _arrival_times(self, position: int) -> list[float]:
        times: list[float] = []
        for subscriber in self.subscribers:
            for at, raw in subscriber.received:
                message = json.loads(raw)
                if message.get("type") == UPDATE_TYPE and message.get("position") == position:
                    times.append(at)
                    self.sample = self.sample or raw
                    break
        return times

    async def close(self) -> None:
        for subscriber in self.subscribers:
            if subscriber.task is not None:
                subscriber.task.cancel()
        for start in range(0, len(self.subscribers), 1000):
            batch = self.subscribers[start : start + 1000]
            await asyncio.gather(*(s.connection.close() for s in batch), return_exceptions=True)


def _extensions(headers: Headers | None) -> str:
    return (headers.get("Sec-WebSocket-Extensions") if headers else None) or "none"


async def run_fanout(
    config: FanoutConfig, trigger: Trigger, meter: CpuMeter, tick: Tick
) -> dict[str, Any]:
    """Every level's figures; `sample_update` is one update as a subscriber received it."""
    fanout = _Fanout(config, trigger, meter)
    redis = Redis.from_url(config.redis_url) if config.redis_url else None
    await asyncio.sleep(1.0)  # let the server settle after the previous phase
    rss_before = rss_kib(config.server_pid)
    levels: list[dict[str, Any]] = []
    try:
        for number, level in enumerate(config.levels):
            connect_s = await fanout.grow(level, tick)
            await asyncio.sleep(1.0)  # idle: let the server finish what the handshakes began
            rss_idle = rss_kib(config.server_pid)
            held = len(fanout.subscribers)
            response = fanout.subscribers[0].connection.response if held else None
            levels.append(
                {
                    "subscribers": level,
                    "connected": held,
                    "connect_failures": dict(fanout.failures),
                    "connect_s": round(connect_s, 2),
                    "ws_extensions": _extensions(response.headers if response else None),
                    "server_rss_kib_before": rss_before,
                    "server_rss_kib_idle": rss_idle,
                    "kib_per_idle_connection": round((rss_idle - rss_before) / max(1, held), 1),
                }
                | await fanout.deliver(number, redis)
                | {"server_rss_kib_after_update": rss_kib(config.server_pid)}
            )
    finally:
        await fanout.close()
        if redis is not None:
            await redis.aclose()
    return {"deflate_offered": config.deflate, "levels": levels, "sample_update": fanout.sample}
