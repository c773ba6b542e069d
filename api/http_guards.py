"""HTTP guards in front of the app: a request body size limit, security headers, the CORS
allow-list and the client address used to rate-limit anonymous callers.

The middlewares are pure ASGI (not Starlette's BaseHTTPMiddleware) so that WebSocket and
lifespan traffic passes through untouched and responses are never buffered.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Collection, Mapping, Sequence
from typing import TypedDict

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from infra.settings import SettingsError

DEFAULT_MAX_BODY_BYTES = 1_000_000
DEFAULT_CSP = (
    "default-src 'self'; script-src 'self'; connect-src 'self' ws: wss:; style-src 'self'; "
    "img-src 'self' data:; frame-ancestors 'none'"
)


class BodySizeLimit:
    """Answers 413 to HTTP requests whose body is larger than max_bytes.

    A declared Content-Length over the limit is refused before reading anything. Otherwise
    the body (chunked, or a Content-Length that lies) is read up to the limit before the
    app is called, so the app never sees a byte of an oversized body; our API takes small
    JSON documents, so holding one in memory costs little.

    Paths in own_limit_paths pass through unread: their endpoint takes larger bodies and
    enforces its own limit as it streams them (POST /evidence, api/evidence_routes.py);
    buffering those here would hold every upload in memory twice."""

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int = DEFAULT_MAX_BODY_BYTES,
        own_limit_paths: Collection[str] = (),
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.own_limit_paths = frozenset(own_limit_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.own_limit_paths:
            await self.app(scope, receive, send)
            return
        try:
            declared = _declared_length(scope)
        except ValueError:
            await _json_error(send, 400, "the Content-Length header is not a valid length")
            return
        if declared is not None and declared > self.max_bytes:
            await self._refuse(send)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client left; there is no one to answer
            body += message.get("body", b"")
            if len(body) > self.max_bytes:
                await self._refuse(send)
                return
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(bytes(body), receive), send)

    async def _refuse(self, send: Send) -> None:
        await _json_error(send, 413, f"the request body is larger than {self.max_bytes} bytes")


def _declared_length(scope: Scope) -> int | None:
    """The Content-Length, if any; ValueError when it is not a length."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            if not value.isdigit():
                raise ValueError(value)
            return int(value)
    return None


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that hands the app the buffered body once, then the server's own messages
    (so the app still learns of a disconnect)."""
    pending = True

    async def replayed() -> Message:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


async def _json_error(send: Send, status: int, message: str) -> None:
    body = json.dumps(
        {"errors": [{"message": message, "extensions": {"code": "VALIDATION_FAILED"}}]}
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                # The unread rest of the body makes the connection unusable for another
                # request.
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class SecurityHeaders:
    """Adds headers that stop MIME sniffing, framing and referrer leaks to every HTTP
    response, and a Content-Security-Policy to HTML ones (the only kind a browser renders
    as a page). Headers the app set itself are kept."""

    def __init__(self, app: ASGIApp, csp: str = DEFAULT_CSP) -> None:
        self.app = app
        self.csp = csp

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("Referrer-Policy", "no-referrer")
                content_type = headers.get("content-type", "").lower()
                if content_type.startswith("text/html"):
                    headers.setdefault("Content-Security-Policy", self.csp)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class CorsKwargs(TypedDict):
    allow_origins: Sequence[str]
    allow_methods: Sequence[str]
    allow_headers: Sequence[str]
    allow_credentials: bool
    max_age: int


def cors_middleware_kwargs(env: Mapping[str, str]) -> CorsKwargs:
    """Keyword arguments for Starlette's CORSMiddleware from `VERACHAIN_CORS_ORIGINS`, a
    comma-separated allow-list of origins (`https://shop.example`); unset or empty allows
    no cross-origin access. Credentials stay off: callers authenticate with a bearer
    token, not cookies."""
    origins = [
        origin.strip().rstrip("/")
        for origin in env.get("VERACHAIN_CORS_ORIGINS", "").split(",")
        if origin.strip()
    ]
    for origin in origins:
        if origin != "*" and not origin.startswith(("http://", "https://")):
            raise SettingsError(
                f"VERACHAIN_CORS_ORIGINS: {origin!r} is not an origin like https://host[:port]"
            )
    return CorsKwargs(
        allow_origins=origins,
        allow_methods=["GET", "POST", "OPTIONS"],
        allow_headers=["Authorization", "Content-Type"],
        allow_credentials=False,
        max_age=600,
    )


def client_ip(scope: Scope, *, trust_forwarded: bool = False) -> str:
    """The caller's address: the socket peer. With trust_forwarded (only behind a proxy
    that appends to X-Forwarded-For, and unreachable except through it), the last address
    in X-Forwarded-For: the one that proxy saw. Earlier entries are whatever the client
    wrote, so they are never used."""
    if trust_forwarded:
        forwarded = _last_forwarded_for(scope)
        if forwarded is not None:
            return forwarded
    client = scope.get("client")
    if client:
        return str(client[0])
    return "unknown"


def _last_forwarded_for(scope: Scope) -> str | None:
    values = [
        value.decode("latin-1") for name, value in scope["headers"] if name == b"x-forwarded-for"
    ]
    # Repeated headers are one comma-separated list, in order.
    entries = [entry.strip() for entry in ",".join(values).split(",") if entry.strip()]
    if not entries:
        return None
    try:
        return str(ipaddress.ip_address(entries[-1]))
    except ValueError:
        return None
