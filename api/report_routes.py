"""`GET /reports/{id}.csv` and `GET /reports/{id}.json`: a report's files, for admins and
auditors (the same bearer token as GraphQL's `reports`).

The bytes are checked against the SHA-256 the index recorded before they are sent (also the
ETag): a file changed or lost on disk is an error, never a silently different report.
Refusals are JSON `{"error": {"code", "message"}}` like the other plain HTTP routes."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from api.context import RequestContext
from api.loaders import Loaders
from api.report_queries import READER_ROLES
from api.services import ApiServices
from commands.actor import require_role
from domain.errors import DomainError
from infra.report_files import ReportFileMissing, read_verified
from infra.report_index import ReportIndex
from streams.reports.requests import is_report_id

MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json"}
_STATUS = {"UNAUTHENTICATED": 401, "FORBIDDEN": 403}


def _error(status: int, code: str, message: str) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(
        {"error": {"code": code, "message": message}}, status_code=status, headers=headers
    )


async def _download(request: Request, fmt: str) -> Response:
    services: ApiServices = request.app.state.services
    context = RequestContext(services=services, loaders=Loaders(services.read))
    context.authenticate(request.headers.get("authorization"))
    try:
        require_role(context.require_actor(), *READER_ROLES, action="downloading a report")
    except DomainError as e:
        return _error(_STATUS.get(e.code, 400), e.code, e.message)
    report_id = request.path_params["report_id"]
    report = await ReportIndex(services.pool).get(report_id) if is_report_id(report_id) else None
    if report is None:
        return _error(404, "NOT_FOUND", f"no report {report_id[:80]!r}")
    indexed = report.file(fmt)
    try:
        data = await asyncio.to_thread(
            read_verified, services.settings.data_dir, indexed.path, indexed.sha256
        )
    except ReportFileMissing as e:
        # Indexed, so it was written: this API's data directory is not the worker's, or
        # the file was changed or removed since. Not the caller's fault.
        return _error(500, "INTERNAL", f"report {report_id}: {e}")
    return Response(
        data,
        media_type=MEDIA_TYPES[fmt],
        headers={
            "ETag": f'"{indexed.sha256}"',
            "Content-Disposition": f'attachment; filename="{report_id}.{fmt}"',
            "Cache-Control": "private, no-cache",
        },
    )


async def download_csv(request: Request) -> Response:
    return await _download(request, "csv")


async def download_json(request: Request) -> Response:
    return await _download(request, "json")


def report_routes() -> list[BaseRoute]:
    return [
        Route("/reports/{report_id}.csv", download_csv, methods=["GET"]),
        Route("/reports/{report_id}.json", download_json, methods=["GET"]),
    ]
