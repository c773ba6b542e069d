"""The plain JSON WebSocket protocol at `/ws` (CONTRACT.md), fed by the process's LiveHub.

Client → server: `{"type": "subscribe:auction", "auctionId": ...}`,
`{"type": "subscribe:verification", "productId": ...}`, the same with `unsubscribe:`, and
optionally first `{"type": "auth", "token": ...}`. Server → client: `auction:update` and
`verification:update` (the worker's message with its `type`), `error` (`code`, `message`),
and acknowledgements `auth:ok`, `subscribed`, `unsubscribed` so that a client knows from
when on it receives every update.

Each connection has one hub subscription (one bounded queue) covering its channels, one
task reading the client's messages and one forwarding updates; a client that falls behind
is closed with 4008 rather than buffering without bound."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from api.live_hub import LiveHub, SubscriberTooSlow, Subscription
from commands.actor import Actor
from infra.tokens import TokenError, verify_token
from projections.live_model import auction_channel, product_channel

log = logging.getLogger(__name__)

Authenticate = Callable[[str], Actor]

CLOSE_UNAUTHENTICATED = 4401
CLOSE_TOO_SLOW = 4008
TOO_SLOW_REASON = "too slow: fell behind the live updates"
CLOSE_TIMEOUT_S = 2.0  # a client too slow to read updates may be too slow to take a close


@dataclass(frozen=True)
class _Topic:
    id_field: str
    update_type: str
    channel: Callable[[str], str]


_TOPICS = {
    "auction": _Topic("auctionId", "auction:update", auction_channel),
    "verification": _Topic("productId", "verification:update", product_channel),
}


class _ProtocolError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def token_authenticator(secret: str) -> Authenticate:
    """The `authenticate` callable for bearer tokens signed with `secret`."""
    return functools.partial(verify_token, secret)


def ws_route(
    hub: LiveHub,
    authenticate: Authenticate | None = None,
    *,
    max_subscriptions: int = 100,
    path: str = "/ws",
) -> WebSocketRoute:
    """The `/ws` route. Without `authenticate`, `auth` messages are refused (all
    subscriptions are public); with it, a bad token closes the connection with 4401."""

    async def endpoint(websocket: WebSocket) -> None:
        await websocket.accept()
        async with hub.subscribe() as subscription:
            session = _Session(websocket, subscription, authenticate, max_subscriptions)
            await session.run()

    return WebSocketRoute(path, endpoint, name="live_ws")


class _Session:
    def __init__(
        self,
        websocket: WebSocket,
        subscription: Subscription,
        authenticate: Authenticate | None,
        max_subscriptions: int,
    ) -> None:
        self.websocket = websocket
        self.subscription = subscription
        self.authenticate = authenticate
        self.limit = max_subscriptions
        self.actor: Actor | None = None  # kept for subscriptions that will need a role
        self.update_types: dict[str, str] = {}  # channel → update type
        self.messages_seen = 0
        # Replies (reader task) and updates (forwarder task) must not interleave frames.
        self.send_lock = asyncio.Lock()

    async def run(self) -> None:
        receiving = asyncio.create_task(self.receive_loop())
        forwarding = asyncio.create_task(self.forward_loop())
        # The forwarder may be stuck in a send to a client that stopped reading: watch the
        # overflow separately so that such a client is dropped all the same.
        overflow = asyncio.create_task(self.subscription.wait_overflowed())
        tasks = (receiving, forwarding, overflow)
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            results = await asyncio.gather(*tasks, return_exceptions=True)
        for result in results:
            if isinstance(result, Exception) and not _expected(result):
                log.error("/ws session failed", exc_info=result)
        if self.subscription.overflowed:
            await self.close(CLOSE_TOO_SLOW, TOO_SLOW_REASON)
        elif receiving not in done:  # the hub stopped: the server is going away
            await self.close(1001, "live updates stopped")

    async def close(self, code: int, reason: str) -> None:
        with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError, TimeoutError):
            async with asyncio.timeout(CLOSE_TIMEOUT_S):
                await self.websocket.close(code, reason)

    async def send(self, payload: dict[str, Any]) -> None:
        async with self.send_lock:
            await self.websocket.send_text(json.dumps(payload))

    async def forward_loop(self) -> None:
        while (message := await self.subscription.receive()) is not None:
            update_type = self.update_types.get(message.channel)
            if update_type is not None:
                fields = {k: v for k, v in message.data.items() if k != "type"}
                await self.send({"type": update_type, **fields})

    async def receive_loop(self) -> None:
        while True:
            event = await self.websocket.receive()
            if event["type"] == "websocket.disconnect":
                return
            self.messages_seen += 1
            raw = event.get("text") or event.get("bytes") or b""
            try:
                if not await self.handle(raw):
                    return
            except _ProtocolError as error:
                await self.send({"type": "error", "code": error.code, "message": str(error)})

    async def handle(self, raw: str | bytes) -> bool:
        """Answers one client message; False when the connection was closed."""
        try:
            message = json.loads(raw)
        except ValueError:
            raise _ProtocolError("VALIDATION_FAILED", "malformed JSON") from None
        if not isinstance(message, dict):
            raise _ProtocolError("VALIDATION_FAILED", "a message must be a JSON object")
        kind = message.get("type")
        if kind == "auth":
            return await self.auth(message.get("token"))
        action, _, topic_name = str(kind).partition(":")
        topic = _TOPICS.get(topic_name)
        if action not in ("subscribe", "unsubscribe") or topic is None:
            raise _ProtocolError("VALIDATION_FAILED", f"unknown message type {str(kind)[:64]!r}")
        aggregate_id = _uuid(message.get(topic.id_field), topic.id_field)
        channel = topic.channel(aggregate_id)
        if action == "subscribe":
            if channel not in self.update_types and len(self.update_types) >= self.limit:
                raise _ProtocolError("RATE_LIMITED", f"at most {self.limit} subscriptions")
            self.update_types[channel] = topic.update_type
            await self.subscription.add(channel)
        else:
            self.update_types.pop(channel, None)
            self.subscription.remove(channel)
        await self.send({"type": f"{action}d", "topic": topic_name, topic.id_field: aggregate_id})
        return True

    async def auth(self, token: object) -> bool:
        if self.authenticate is None:
            raise _ProtocolError("VALIDATION_FAILED", "this server takes no tokens on /ws")
        if self.messages_seen != 1:
            raise _ProtocolError("VALIDATION_FAILED", "auth must be the first message")
        try:
            if not isinstance(token, str):
                raise TokenError("the token must be a string")
            self.actor = self.authenticate(token)
        except TokenError as error:
            await self.send(
                {"type": "error", "code": "UNAUTHENTICATED", "message": f"bad token: {error}"}
            )
            await self.close(CLOSE_UNAUTHENTICATED, "unauthenticated")
            return False
        await self.send({"type": "auth:ok", "subject": self.actor.id})
        return True


def _uuid(value: object, field: str) -> str:
    """The canonical form of a UUID (the worker publishes ids in that form)."""
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            return str(uuid.UUID(value))
    raise _ProtocolError("VALIDATION_FAILED", f"{field} must be a UUID")


def _expected(error: BaseException) -> bool:
    return isinstance(error, WebSocketDisconnect | OSError | SubscriberTooSlow)
