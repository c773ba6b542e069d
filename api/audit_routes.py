"""Plain HTTP for auditors and buyers: the latest signed checkpoint as the note itself
(`text/plain`, what tlog tooling reads)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from api.services import ApiServices
from streams.audit_store import AuditStore

NOTE_MEDIA_TYPE = "text/plain; charset=utf-8"


async def latest_checkpoint(request: Request) -> Response:
    services: ApiServices = request.app.state.services
    latest = await AuditStore(services.pool).latest_checkpoint()
    if latest is None:
        return PlainTextResponse("no audit checkpoint has been signed yet\n", status_code=404)
    # A checkpoint is replaced within a second: caches must ask again.
    return Response(latest.note, media_type=NOTE_MEDIA_TYPE, headers={"Cache-Control": "no-cache"})


def audit_routes() -> list[BaseRoute]:
    return [Route("/audit/checkpoint", latest_checkpoint, methods=["GET"])]
