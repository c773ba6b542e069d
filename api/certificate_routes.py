"""`GET /certificates/{id}.vc.json`: the certificate's credential as a file a buyer can keep
and check offline (`verachain cert verify`).

The body is the credential's canonical JSON exactly as issued, so its SHA-256 is the one the
issuance event recorded (also sent as the ETag). Media type `application/vc`, the one IANA
registered for VCDM 2.0 credentials; `application/json` to a client that accepts only that.
A revoked certificate's credential is still served (it was issued and stays verifiable;
revocation is a later event, not a forgery), with `X-Certificate-Status: revoked` where a
valid one says `valid`; the reason is in GraphQL (`revocationReason`), never in a header,
since it is free text."""

from __future__ import annotations

from uuid import UUID

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from api.services import ApiServices

VC_MEDIA_TYPE = "application/vc"
JSON_MEDIA_TYPE = "application/json"
STATUS_HEADER = "X-Certificate-Status"


def _media_type(accept: str) -> str:
    """`application/vc` unless the client names JSON and not it (a plain fetch() or curl
    asking for JSON gets the same bytes labelled as it can read them)."""
    if VC_MEDIA_TYPE not in accept and JSON_MEDIA_TYPE in accept:
        return JSON_MEDIA_TYPE
    return VC_MEDIA_TYPE


def _not_found(message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": "NOT_FOUND", "message": message}}, status_code=404)


async def certificate_credential(request: Request) -> Response:
    services: ApiServices = request.app.state.services
    raw_id = request.path_params["certificate_id"]
    try:
        certificate_id = UUID(raw_id)
    except ValueError:
        return _not_found(f"no certificate {raw_id[:64]!r}")
    rows = await services.read.rows_by_id("certificates", [str(certificate_id)])
    row = rows.get(str(certificate_id))
    if row is None:
        return _not_found(f"no certificate {certificate_id}")
    if row["credential"] is None:
        return _not_found(f"certificate {certificate_id} was issued before credentials existed")
    return Response(
        row["credential"],
        media_type=_media_type(request.headers.get("accept", "")),
        headers={
            STATUS_HEADER: str(row["status"]).lower(),
            "ETag": f'"{row["credential_sha256"]}"',
            # Revocation can come at any time: caches must ask again.
            "Cache-Control": "no-cache",
        },
    )


def certificate_routes() -> list[BaseRoute]:
    return [
        Route("/certificates/{certificate_id}.vc.json", certificate_credential, methods=["GET"])
    ]
