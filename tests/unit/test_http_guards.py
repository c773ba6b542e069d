"""The HTTP guards around a tiny Starlette app: body size limit, security headers, CORS
allow-list, and the client address used for anonymous rate limiting."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import Message, Scope
from starlette.websockets import WebSocket

from api.http_guards import (
    DEFAULT_CSP,
    BodySizeLimit,
    SecurityHeaders,
    client_ip,
    cors_middleware_kwargs,
)
from infra.settings import SettingsError

LIMIT = 1000
ALLOWED = "https://shop.example"


class Endpoint:
    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    async def echo(self, request: Request) -> Response:
        body = await request.body()
        self.bodies.append(body)
        return JSONResponse({"received": len(body)})

    async def page(self, _: Request) -> Response:
        return HTMLResponse("<!doctype html><title>dashboard</title>")

    async def text(self, _: Request) -> Response:
        return PlainTextResponse("ok")

    async def own_headers(self, _: Request) -> Response:
        return HTMLResponse("<p>framed</p>", headers={"X-Frame-Options": "SAMEORIGIN"})

    async def socket(self, websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text(await websocket.receive_text())
        await websocket.close()


def build_app(endpoint: Endpoint, env: Mapping[str, str] | None = None) -> Starlette:
    return Starlette(
        routes=[
            Route("/echo", endpoint.echo, methods=["POST"]),
            Route("/upload", endpoint.echo, methods=["POST"]),
            Route("/", endpoint.page),
            Route("/text", endpoint.text),
            Route("/own", endpoint.own_headers),
            WebSocketRoute("/ws", endpoint.socket),
        ],
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(CORSMiddleware, **cors_middleware_kwargs(env or {})),
            Middleware(BodySizeLimit, max_bytes=LIMIT, own_limit_paths={"/upload"}),
        ],
    )


@pytest.fixture
def endpoint() -> Endpoint:
    return Endpoint()


@pytest.fixture
async def client(endpoint: Endpoint) -> AsyncIterator[httpx.AsyncClient]:
    app = build_app(endpoint, {"VERACHAIN_CORS_ORIGINS": f" {ALLOWED}/ , http://localhost:5173"})
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


async def chunks(total: int, size: int = 100) -> AsyncIterator[bytes]:
    for _ in range(total // size):
        yield b"x" * size


def assert_refused_as_too_large(response: httpx.Response) -> None:
    assert response.status_code == 413
    assert response.json() == {
        "errors": [
            {
                "message": f"the request body is larger than {LIMIT} bytes",
                "extensions": {"code": "VALIDATION_FAILED"},
            }
        ]
    }


# Body size


async def test_a_body_within_the_limit_reaches_the_endpoint(
    client: httpx.AsyncClient, endpoint: Endpoint
) -> None:
    response = await client.post("/echo", content=b"x" * LIMIT)
    assert response.status_code == 200
    assert response.json() == {"received": LIMIT}
    assert endpoint.bodies == [b"x" * LIMIT]


async def test_a_declared_length_over_the_limit_is_refused_unread(
    client: httpx.AsyncClient, endpoint: Endpoint
) -> None:
    response = await client.post("/echo", content=b"x" * (LIMIT + 1))
    assert_refused_as_too_large(response)
    assert response.headers["connection"] == "close"
    assert endpoint.bodies == []


async def test_a_chunked_body_over_the_limit_is_refused_before_the_endpoint_runs(
    client: httpx.AsyncClient, endpoint: Endpoint
) -> None:
    request = client.build_request("POST", "/echo", content=chunks(LIMIT + 100))
    assert "content-length" not in request.headers
    assert request.headers["transfer-encoding"] == "chunked"
    assert_refused_as_too_large(await client.send(request))
    assert endpoint.bodies == []


async def test_a_path_with_its_own_limit_passes_through_unread(
    client: httpx.AsyncClient, endpoint: Endpoint
) -> None:
    response = await client.post("/upload", content=b"x" * (LIMIT * 5))
    assert response.status_code == 200
    assert endpoint.bodies == [b"x" * (LIMIT * 5)]
    # Only that exact path: everything else keeps the small limit.
    assert_refused_as_too_large(await client.post("/upload/x", content=b"x" * (LIMIT + 1)))


async def test_a_chunked_body_within_the_limit_arrives_whole(
    client: httpx.AsyncClient, endpoint: Endpoint
) -> None:
    response = await client.post("/echo", content=chunks(LIMIT))
    assert response.status_code == 200
    assert endpoint.bodies == [b"x" * LIMIT]


async def test_a_body_longer_than_its_declared_length_is_refused(endpoint: Endpoint) -> None:
    app = build_app(endpoint)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        request = c.build_request(
            "POST", "/echo", content=chunks(LIMIT + 100), headers={"Content-Length": "10"}
        )
        assert_refused_as_too_large(await c.send(request))
    assert endpoint.bodies == []


async def test_a_malformed_content_length_is_a_bad_request(endpoint: Endpoint) -> None:
    app = build_app(endpoint)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        request = c.build_request("POST", "/echo", content=b"{}")
        request.headers["Content-Length"] = "-5"
        response = await c.send(request)
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "VALIDATION_FAILED"
    assert endpoint.bodies == []


# Security headers


async def test_every_response_gets_the_security_headers(client: httpx.AsyncClient) -> None:
    for response in (
        await client.get("/text"),
        await client.post("/echo", content=b"{}"),
        await client.post("/echo", content=b"x" * (LIMIT + 1)),  # even the guard's refusal
        await client.get("/missing"),
    ):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"


async def test_only_html_responses_get_a_content_security_policy(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/")
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["content-security-policy"] == DEFAULT_CSP
    assert "frame-ancestors 'none'" in DEFAULT_CSP
    assert "script-src 'self';" in DEFAULT_CSP  # no 'unsafe-inline'
    for response in (await client.get("/text"), await client.post("/echo", content=b"{}")):
        assert "content-security-policy" not in response.headers


async def test_headers_the_app_set_itself_are_kept(client: httpx.AsyncClient) -> None:
    response = await client.get("/own")
    assert response.headers.get_list("x-frame-options") == ["SAMEORIGIN"]


async def test_websockets_pass_through_the_guards(endpoint: Endpoint) -> None:
    # Driven as raw ASGI: starlette's TestClient needs a package this project lacks.
    incoming: list[Message] = [
        {"type": "websocket.connect"},
        {"type": "websocket.receive", "text": "hello"},
    ]
    sent: list[Message] = []

    async def receive() -> Message:
        return incoming.pop(0) if incoming else {"type": "websocket.disconnect", "code": 1000}

    async def send(message: Message) -> None:
        sent.append(message)

    scope: Scope = {
        "type": "websocket",
        "path": "/ws",
        "raw_path": b"/ws",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"origin", b"https://evil.example")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "subprotocols": [],
        "scheme": "ws",
    }
    await build_app(endpoint)(scope, receive, send)
    assert [m["type"] for m in sent] == ["websocket.accept", "websocket.send", "websocket.close"]
    assert sent[1]["text"] == "hello"


# CORS


async def test_an_allowed_origin_gets_cors_headers(client: httpx.AsyncClient) -> None:
    response = await client.get("/text", headers={"Origin": ALLOWED})
    assert response.headers["access-control-allow-origin"] == ALLOWED
    assert "access-control-allow-credentials" not in response.headers


async def test_a_preflight_from_an_allowed_origin_is_answered(client: httpx.AsyncClient) -> None:
    response = await client.options(
        "/echo",
        headers={
            "Origin": "http://localhost:5173",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "http://localhost:5173"
    allowed_methods = response.headers["access-control-allow-methods"]
    assert {m.strip() for m in allowed_methods.split(",")} == {"GET", "POST", "OPTIONS"}
    allowed_headers = response.headers["access-control-allow-headers"].lower()
    assert "authorization" in allowed_headers
    assert "content-type" in allowed_headers


async def test_a_refused_origin_gets_no_cors_headers(client: httpx.AsyncClient) -> None:
    simple = await client.get("/text", headers={"Origin": "https://evil.example"})
    assert not [h for h in simple.headers if h.startswith("access-control-")]
    preflight = await client.options(
        "/echo",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 400
    assert "access-control-allow-origin" not in preflight.headers


async def test_no_configured_origins_means_no_cross_origin_access(endpoint: Endpoint) -> None:
    assert cors_middleware_kwargs({})["allow_origins"] == []
    app = build_app(endpoint, {"VERACHAIN_CORS_ORIGINS": ""})
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        response = await c.get("/text", headers={"Origin": ALLOWED})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


def test_an_origin_that_is_not_one_is_a_configuration_error() -> None:
    with pytest.raises(SettingsError, match="VERACHAIN_CORS_ORIGINS"):
        cors_middleware_kwargs({"VERACHAIN_CORS_ORIGINS": "shop.example"})


# Client address


def http_scope(client: tuple[str, int] | None, *headers: tuple[bytes, bytes]) -> Scope:
    return {"type": "http", "client": client, "headers": list(headers)}


def test_the_client_address_is_the_socket_peer() -> None:
    scope = http_scope(("10.0.0.7", 50123), (b"x-forwarded-for", b"1.2.3.4"))
    assert client_ip(scope) == "10.0.0.7"


def test_a_trusted_proxy_address_is_the_last_forwarded_entry() -> None:
    scope = http_scope(
        ("10.0.0.1", 443),
        (b"x-forwarded-for", b"6.6.6.6, 7.7.7.7"),  # the first two are the client's claims
        (b"x-forwarded-for", b"203.0.113.9"),
    )
    assert client_ip(scope, trust_forwarded=True) == "203.0.113.9"


def test_a_forwarded_entry_that_is_not_an_address_is_ignored() -> None:
    scope = http_scope(("10.0.0.1", 443), (b"x-forwarded-for", b"unknown"))
    assert client_ip(scope, trust_forwarded=True) == "10.0.0.1"
    assert client_ip(http_scope(("10.0.0.1", 443)), trust_forwarded=True) == "10.0.0.1"


def test_a_scope_without_a_peer_has_an_unknown_address() -> None:
    assert client_ip(http_scope(None)) == "unknown"
