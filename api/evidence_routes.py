"""`POST /evidence` takes one image (multipart/form-data, field `file`) and stores it under its
SHA-256; `GET /evidence/{sha256}` serves it back. Verification requests then name images by
that hash (commands/evidence.py).

Refusals are JSON `{"error": {"code", "message", "reason"}}` as the other plain HTTP routes
answer: CONTRACT's code (VALIDATION_FAILED, UNAUTHENTICATED, ...) with `reason` saying which
rule (api/evidence_image.py `Refusal`) and the HTTP status matching it. Nothing is stored
unless every check passed."""

from __future__ import annotations

import asyncio
import hashlib
import math
import re
from collections.abc import AsyncGenerator

from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from api.context import RequestContext
from api.evidence_image import EvidenceRefused, Refusal, inspect_image
from api.loaders import Loaders
from api.rate_limit import RateLimited, rate_identity
from api.services import ApiServices
from commands.actor import Actor, Role
from commands.handlers import VERIFICATION_REQUESTERS
from domain.errors import DomainError, Forbidden

# Whoever may request a verification (owners who bought at auction are bidders) may attach
# evidence to it, and inspectors may add their own photographs; auditors only read.
UPLOADER_ROLES = (*VERIFICATION_REQUESTERS, Role.INSPECTOR)
# Room for the multipart envelope (boundaries, part headers) around a file of the maximum
# size; the file itself is held to the exact limit once parsed.
MULTIPART_OVERHEAD_BYTES = 64 * 1024
_SHA256 = re.compile(r"[0-9a-f]{64}")

_STATUS = {
    Refusal.MALFORMED_MULTIPART: 400,
    Refusal.TOO_LARGE: 413,
    Refusal.UNSUPPORTED_MEDIA_TYPE: 415,
    Refusal.TOO_MANY_PIXELS: 422,
    Refusal.CORRUPT_IMAGE: 422,
}
_DOMAIN_STATUS = {"UNAUTHENTICATED": 401, "FORBIDDEN": 403}


def _error(status: int, code: str, message: str, reason: str | None = None) -> JSONResponse:
    error = {"code": code, "message": message}
    if reason is not None:
        error["reason"] = reason
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse({"error": error}, status_code=status, headers=headers)


def _refused(refusal: EvidenceRefused) -> JSONResponse:
    return _error(
        _STATUS[refusal.reason], "VALIDATION_FAILED", refusal.message, refusal.reason.value
    )


def _caller(request: Request, services: ApiServices, *roles: Role) -> Actor:
    """The bearer token's actor, as GraphQL reads it; DomainError when absent, bad, or
    (with roles) without one of them."""
    context = RequestContext(services=services, loaders=Loaders(services.read))
    context.authenticate(request.headers.get("authorization"))
    actor = context.require_actor()
    if roles and not actor.has_any(*roles):
        wanted = " or ".join(sorted(role.value for role in roles))
        raise Forbidden(f"uploading evidence needs the role {wanted}")
    return actor


class _TooLarge(Exception):
    pass


async def _capped(request: Request, limit: int) -> AsyncGenerator[bytes, None]:
    """The request body as it arrives, stopping with _TooLarge past `limit` bytes, so an
    oversized upload is never read to its end."""
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:
            raise _TooLarge
        yield chunk


async def _read_file(request: Request, max_bytes: int) -> bytes:
    """The bytes of the one `file` part; EvidenceRefused otherwise."""
    too_large = EvidenceRefused(Refusal.TOO_LARGE, f"the image is larger than {max_bytes} bytes")
    content_type = request.headers.get("content-type", "")
    if not content_type.lower().startswith("multipart/form-data"):
        raise EvidenceRefused(
            Refusal.MALFORMED_MULTIPART, "send the image as multipart/form-data, field 'file'"
        )
    body_limit = max_bytes + MULTIPART_OVERHEAD_BYTES
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > body_limit:
        raise too_large  # refused before reading a byte
    parser = MultiPartParser(
        request.headers,
        _capped(request, body_limit),
        max_files=1,
        max_fields=4,
        max_part_size=64 * 1024,
    )
    try:
        form = await parser.parse()
    except _TooLarge:
        raise too_large from None
    except MultiPartException as e:
        raise EvidenceRefused(
            Refusal.MALFORMED_MULTIPART, f"the multipart body is malformed: {e.message}"
        ) from e
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise EvidenceRefused(
                Refusal.MALFORMED_MULTIPART, "the multipart body has no file in the field 'file'"
            )
        data = await upload.read(max_bytes + 1)
    finally:
        await form.close()
    if len(data) > max_bytes:
        raise too_large
    if not data:
        raise EvidenceRefused(Refusal.UNSUPPORTED_MEDIA_TYPE, "the file is empty")
    return data


async def upload_evidence(request: Request) -> Response:
    services: ApiServices = request.app.state.services
    settings = services.settings
    try:
        actor = _caller(request, services, *UPLOADER_ROLES)
        if services.limiter is not None:  # an upload is a write: the mutations budget
            await services.limiter.enforce("mutations", rate_identity(actor.id, "-"))
    except RateLimited as e:
        return JSONResponse(
            {"error": {"code": e.code, "message": e.message}},
            status_code=429,
            headers={"Retry-After": str(max(1, math.ceil(e.retry_after_s)))},
        )
    except DomainError as e:
        return _error(_DOMAIN_STATUS.get(e.code, 400), e.code, e.message)
    try:
        data = await _read_file(request, settings.evidence_max_bytes)
        # Hashing and decoding are CPU work: off the event loop.
        facts = await asyncio.to_thread(
            inspect_image, data, max_pixels=settings.evidence_max_pixels
        )
    except EvidenceRefused as refusal:
        return _refused(refusal)
    sha256 = await asyncio.to_thread(lambda: hashlib.sha256(data).hexdigest())
    stored, created = await services.evidence.put(
        sha256=sha256,
        media_type=facts.media_type,
        data=data,
        width=facts.width,
        height=facts.height,
        uploaded_by=actor.id,
    )
    return JSONResponse(
        {
            "sha256": stored.sha256,
            "mediaType": stored.media_type,
            "width": stored.width,
            "height": stored.height,
            "size": stored.size,
        },
        status_code=201 if created else 200,
        headers={"Location": f"/evidence/{stored.sha256}"},
    )


async def download_evidence(request: Request) -> Response:
    services: ApiServices = request.app.state.services
    try:
        _caller(request, services)
    except DomainError as e:
        return _error(_DOMAIN_STATUS.get(e.code, 400), e.code, e.message)
    sha256 = request.path_params["sha256"]
    found = await services.evidence.content(sha256) if _SHA256.fullmatch(sha256) else None
    if found is None:
        return _error(404, "NOT_FOUND", f"no evidence {sha256[:64]!r}")
    media_type, data = found
    return Response(
        data,
        media_type=media_type,
        headers={
            "ETag": f'"{sha256}"',
            # Content-addressed: the bytes under a hash never change. Private: a token
            # was needed to read them.
            "Cache-Control": "private, max-age=31536000, immutable",
        },
    )


def evidence_routes() -> list[BaseRoute]:
    return [
        Route("/evidence", upload_evidence, methods=["POST"]),
        Route("/evidence/{sha256}", download_evidence, methods=["GET"]),
    ]
