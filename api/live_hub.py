"""The API process's fan-out of the workers' live updates (Redis pub/sub) to its clients.

One Redis connection per process carries every channel a local client wants: SUBSCRIBEd
while it has a local subscriber, UNSUBSCRIBEd when the last one leaves. On one event loop:
- subscribers join and leave channels synchronously (a cancelled client cannot leave a
  half-registered subscription behind) and mark the wanted set dirty;
- a sync task sends the difference between wanted and requested channels, in batches;
- a reader task decodes each message once and offers it to each subscriber's bounded
  queue without waiting: a full queue marks that subscriber overflowed (its iterator
  raises SubscriberTooSlow), so one slow client never delays the others.
A lost connection is re-made with capped exponential backoff and every wanted channel
subscribed again; open subscriptions stay open (what was published meanwhile is lost, as
always with Redis pub/sub)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any, NamedTuple, Self

from prometheus_client import CollectorRegistry, Counter, Gauge
from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

_LOST = (RedisError, OSError)


class SubscriberTooSlow(Exception):
    """The subscriber's queue filled up: it fell behind the live updates."""


class LiveMessage(NamedTuple):
    channel: str
    data: dict[str, Any]  # shared by every subscriber of the channel: treat it as read-only


class Subscription:
    """One consumer's bounded queue of live messages, on any number of channels."""

    def __init__(self, hub: LiveHub, channels: tuple[str, ...], queue_size: int) -> None:
        self._hub = hub
        self._initial = channels
        self.channels: set[str] = set()
        self._queue: asyncio.Queue[LiveMessage | None] = asyncio.Queue(queue_size)
        self._overflowed = asyncio.Event()
        self._closed = False

    async def __aenter__(self) -> Self:
        self._hub._opened.add(self)
        try:
            for channel in self._initial:
                await self.add(channel)
        except BaseException:
            self.close()
            raise
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.close()

    async def add(self, channel: str) -> None:
        """Join a channel; returns once Redis confirmed it (unless Redis is unreachable)."""
        if channel not in self.channels:
            self.channels.add(channel)
            self._hub._join(self, channel)
        await self._hub._until_confirmed(channel)

    def remove(self, channel: str) -> None:
        """Leave a channel; its messages still queued are skipped, not delivered."""
        if channel in self.channels:
            self.channels.discard(channel)
            self._hub._leave(self, channel)

    def close(self) -> None:
        for channel in list(self.channels):
            self.remove(channel)
        self._closed = True
        self._hub._opened.discard(self)
        with contextlib.suppress(asyncio.QueueFull):  # a full queue has no waiting reader
            self._queue.put_nowait(None)  # wakes a reader blocked in receive()

    @property
    def overflowed(self) -> bool:
        return self._overflowed.is_set()

    async def wait_overflowed(self) -> None:
        """Returns when the subscriber fell behind (for a sender stuck on a slow client)."""
        await self._overflowed.wait()

    async def receive(self) -> LiveMessage | None:
        """The next message, or None once closed; raises SubscriberTooSlow if overflowed."""
        while True:
            if self._overflowed.is_set():
                raise SubscriberTooSlow("fell behind the live updates")
            if self._closed:
                return None
            message = await self._queue.get()
            if message is not None and message.channel in self.channels:
                return message

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> dict[str, Any]:
        message = await self.receive()
        if message is None:
            raise StopAsyncIteration
        return message.data

    def _offer(self, message: LiveMessage) -> bool:
        """Queue without waiting; True when this message overflowed the subscriber."""
        if self._closed or self._overflowed.is_set():
            return False
        try:
            self._queue.put_nowait(message)
        except asyncio.QueueFull:
            self._overflowed.set()
            return True
        return False


class LiveHub:
    """Redis pub/sub for the whole process; `subscribe()` hands out bounded subscriptions."""

    def __init__(
        self,
        redis_url: str,
        registry: CollectorRegistry,
        *,
        queue_size: int = 256,
        backoff_initial_s: float = 0.05,
        backoff_max_s: float = 5.0,
        ping_interval_s: float = 15.0,
        confirm_timeout_s: float = 2.0,
        client_name: str = "verachain-live-hub",
    ) -> None:
        # No retries inside redis-py: a lost connection must surface here, so that it is
        # counted, backed off and re-subscribed in one place.
        self._redis = Redis.from_url(
            redis_url,
            retry=Retry(NoBackoff(), 0),
            socket_connect_timeout=2.0,
            client_name=client_name,
        )
        self._queue_size = queue_size
        self._backoff = (backoff_initial_s, backoff_max_s)
        self._ping_interval = ping_interval_s
        self._confirm_timeout = confirm_timeout_s
        self._channels: dict[str, set[Subscription]] = {}
        self._opened: set[Subscription] = set()
        self._pubsub: PubSub | None = None
        self._requested: set[str] = set()  # sent on the current connection
        self._confirmed: set[str] = set()  # acknowledged on the current connection
        self._changed = asyncio.Event()  # replaced after each set(): wakes all waiters once
        self._dirty = asyncio.Event()
        self._attempted = asyncio.Event()
        self._ever_connected = False
        self._tasks: list[asyncio.Task[None]] = []
        Gauge(
            "verachain_live_subscribers",
            "Open live-update subscriptions in this process",
            registry=registry,
        ).set_function(lambda: len(self._opened))
        self._dropped = Counter(
            "verachain_live_subscribers_dropped",
            "Live-update subscribers dropped because they fell behind",
            registry=registry,
        )
        self._reconnects = Counter(
            "verachain_live_redis_reconnects",
            "Times the live hub's Redis connection was re-established after a loss",
            registry=registry,
        )

    async def start(self) -> None:
        """Starts the reader; returns after the first connection attempt, even a failed one."""
        self._tasks = [asyncio.create_task(self._run()), asyncio.create_task(self._sync())]
        await self._attempted.wait()

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._disconnect()
        for subscription in list(self._opened):
            subscription.close()  # ends their iterators
        await self._redis.aclose()

    def subscribe(self, *channels: str) -> Subscription:
        """`async with hub.subscribe(channel) as s: async for message in s: ...`"""
        return Subscription(self, channels, self._queue_size)

    def _join(self, subscription: Subscription, channel: str) -> None:
        subscribers = self._channels.setdefault(channel, set())
        subscribers.add(subscription)
        if len(subscribers) == 1:
            self._dirty.set()

    def _leave(self, subscription: Subscription, channel: str) -> None:
        subscribers = self._channels.get(channel, set())
        subscribers.discard(subscription)
        if not subscribers:
            self._channels.pop(channel, None)
            self._dirty.set()

    async def _until_confirmed(self, channel: str) -> None:
        # Once Redis acknowledged the SUBSCRIBE, anything published later reaches us. While
        # Redis is unreachable, don't wait: the reconnect subscribes the channel anyway.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._confirm_timeout):
                while self._pubsub is not None and channel not in self._confirmed:
                    await self._changed.wait()

    def _notify(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def _run(self) -> None:
        delay = self._backoff[0]
        while True:
            try:
                pubsub = await self._connect()
                delay = self._backoff[0]
                await self._read(pubsub)
            except Exception as error:  # whatever broke, a fresh connection is the remedy
                log.warning("live hub: no Redis connection (%s), retry in %.2fs", error, delay)
            await self._disconnect()
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._backoff[1])

    async def _connect(self) -> PubSub:
        pubsub = self._redis.pubsub()
        try:  # a failed connect gives its connection back to the pool: nothing to close
            await pubsub.connect()  # type: ignore[no-untyped-call]
        finally:
            self._attempted.set()
        if self._ever_connected:
            self._reconnects.inc()
        self._ever_connected = True
        self._pubsub, self._requested = pubsub, set()
        self._dirty.set()  # a fresh connection subscribes every wanted channel again
        return pubsub

    async def _disconnect(self) -> None:
        pubsub, self._pubsub = self._pubsub, None
        self._confirmed.clear()
        self._notify()
        if pubsub is not None:
            with contextlib.suppress(*_LOST):
                await pubsub.aclose()  # type: ignore[no-untyped-call]

    async def _read(self, pubsub: PubSub) -> None:
        # A PING when idle detects a connection that died silently (no RST from the peer).
        pinged = False
        while True:
            message = await pubsub.get_message(timeout=self._ping_interval)
            if message is None:
                if pinged:
                    raise ConnectionError("Redis did not answer a PING")
                await pubsub.ping()
                pinged = True
                continue
            pinged = False
            self._dispatch(message["type"], message["channel"], message["data"])

    def _dispatch(self, kind: str, raw_channel: bytes | None, data: Any) -> None:
        channel = raw_channel.decode() if raw_channel is not None else ""
        if kind in ("subscribe", "unsubscribe"):
            (self._confirmed.add if kind == "subscribe" else self._confirmed.discard)(channel)
            self._notify()
            return
        subscribers = self._channels.get(channel) if kind == "message" else None
        if not subscribers:
            return  # e.g. the last subscriber left while the UNSUBSCRIBE was under way
        try:
            decoded = json.loads(data)
            if not isinstance(decoded, dict):
                raise ValueError("not a JSON object")
        except ValueError as error:  # a bad message must not stop the others
            log.warning("live hub: dropped a message on %s: %s", channel, error)
            return
        message = LiveMessage(channel, decoded)
        for subscriber in subscribers:
            if subscriber._offer(message):
                self._dropped.inc()

    async def _sync(self) -> None:
        """Sends SUBSCRIBE/UNSUBSCRIBE for the difference between wanted and requested."""
        while True:
            await self._dirty.wait()
            self._dirty.clear()
            pubsub = self._pubsub
            if pubsub is None:
                continue  # the next connection marks the state dirty again
            wanted = set(self._channels)
            added, removed = wanted - self._requested, self._requested - wanted
            try:
                if added:
                    await pubsub.subscribe(*added)
                if removed:
                    # Forget the confirmation now: a re-join must wait for a new SUBSCRIBE.
                    self._confirmed.difference_update(removed)
                    await pubsub.unsubscribe(*removed)
            except Exception as error:
                # Unsure what Redis holds now: drop the connection, so that the reader
                # reconnects and everything wanted is subscribed afresh.
                log.warning("live hub: (un)subscribe failed (%r), reconnecting", error)
                with contextlib.suppress(*_LOST):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]
                continue
            if pubsub is self._pubsub:
                self._requested = (self._requested | added) - removed
