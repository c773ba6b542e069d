"""The live dashboard (`GET /`): one static page, its script and its style sheet, shipped
in api/dashboard/ (no build step). The page reads the public GraphQL API like any client:
the lists by HTTP POST, live changes by `graphql-transport-ws` subscriptions, the audit
checkpoint from `/audit/checkpoint`.

The files are read on first request (nothing happens at import time) and kept. Answers
carry a strong ETag and `Cache-Control: no-cache`, so a browser revalidates (304) and
never runs a stale script after a deployment. The Content-Security-Policy on the HTML comes
from the app's SecurityHeaders middleware; the page needs nothing beyond it (no inline
script or style, no other origin)."""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from importlib import resources

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

_FOLDER = "dashboard"
_CACHE_CONTROL = "no-cache"


@dataclass(frozen=True)
class _Asset:
    body: bytes
    etag: str


@functools.cache
def _asset(name: str) -> _Asset:
    body = resources.files("api").joinpath(_FOLDER, name).read_bytes()
    return _Asset(body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"')


def _serving(path: str, name: str, media_type: str) -> Route:
    async def endpoint(request: Request) -> Response:
        asset = _asset(name)
        headers = {"ETag": asset.etag, "Cache-Control": _CACHE_CONTROL}
        wanted = _etags(request.headers.get("if-none-match", ""))
        if asset.etag in wanted or "*" in wanted:
            return Response(status_code=304, headers=headers)
        return Response(asset.body, media_type=media_type, headers=headers)

    return Route(path, endpoint, methods=["GET"], name=f"dashboard:{name}")


def _etags(header: str) -> set[str]:
    """The entity tags an If-None-Match header lists (weak ones compare equal)."""
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}


def dashboard_routes() -> list[BaseRoute]:
    """`/` (the page), `/dashboard/dashboard.js` and `/dashboard/dashboard.css`."""
    return [
        _serving("/", "index.html", "text/html"),
        _serving(f"/{_FOLDER}/dashboard.js", "dashboard.js", "text/javascript"),
        _serving(f"/{_FOLDER}/dashboard.css", "dashboard.css", "text/css"),
    ]
