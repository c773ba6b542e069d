"""The API process: Starlette serving GraphQL (HTTP and both WebSocket protocols) at
/graphql, the plain JSON WebSocket at /ws, and /health, /ready, /metrics. Services open in
the lifespan, so nothing runs at import time."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from graphql import GraphQLError
from prometheus_client import generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from api.audit_routes import audit_routes
from api.certificate_routes import certificate_routes
from api.context import RequestContext
from api.dashboard_routes import dashboard_routes
from api.evidence_routes import evidence_routes
from api.http_guards import BodySizeLimit, SecurityHeaders, cors_middleware_kwargs
from api.loaders import Loaders
from api.operation_rate_limit import enforce_budget
from api.report_routes import report_routes
from api.schema import build_schema
from api.services import DEFAULT_MIN_POSITION_WAIT_S, ApiServices, open_services
from api.ws_endpoint import token_authenticator, ws_route
from infra.settings import Settings

if TYPE_CHECKING:  # strawberry's own parameter types, for the override's signature
    from cross_web import AsyncHTTPRequestAdapter
    from strawberry.http import GraphQLRequestData

READY_TIMEOUT_S = 2.0


class VeraGraphQL(GraphQL[RequestContext, None]):
    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> RequestContext:
        services: ApiServices = request.app.state.services
        context = RequestContext(services=services, loaders=Loaders(services.read))
        context.request = request
        if isinstance(request, Request):
            context.authenticate(request.headers.get("authorization"))
        return context

    async def execute_single(  # noqa: PLR0917 - strawberry's signature
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: RequestContext,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        """Queries over HTTP go through the response cache (api/response_cache.py): a kept
        answer whose rows are all current is served without executing; one computed
        without errors is kept. The read budget is spent either way."""
        execute = functools.partial(
            super().execute_single,
            request,
            request_adapter,
            sub_response,
            context,
            root_value,
            request_data,
        )
        cache = context.services.response_cache
        if cache is None or context.auth_error is not None:
            return await execute()
        plan = cache.plan(
            request_data.query, request_data.variables, request_data.operation_name, context.actor
        )
        if plan is None:
            return await execute()
        data = await cache.lookup(plan)
        if data is not None:
            try:
                await enforce_budget(context, OperationType.QUERY)
            except GraphQLError as e:
                return ExecutionResult(data=None, errors=[e])
            return ExecutionResult(data=data, errors=None)
        result = await execute()
        if not result.errors and not context.stale:
            cache.keep(plan, result.data, context.loaders.dependencies)
        return result

    async def on_ws_connect(self, context: RequestContext) -> Any:
        """GraphQL over WebSocket: the token comes in connection_init's payload."""
        params = context.connection_params or {}
        authorization = params.get("Authorization") or params.get("authorization")
        context.authenticate(authorization if isinstance(authorization, str) else None)
        if context.auth_error is not None:
            raise ConnectionRejectionError({"code": "UNAUTHENTICATED"})
        return await super().on_ws_connect(context)


async def _plain_websocket(websocket: WebSocket) -> None:
    """/ws: the plain JSON protocol (api/ws_endpoint.py), on this process's hub."""
    endpoint: WebSocketRoute = websocket.app.state.plain_websocket
    await endpoint.app(websocket.scope, websocket.receive, websocket.send)


async def health(_: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def ready(request: Request) -> JSONResponse:
    """Every dependency reachable, or 503 naming the ones that are not."""
    services: ApiServices = request.app.state.services
    checks = {
        "postgres": _postgres_ready(services),
        "redis": services.redis.ping(),
        "kafka": _kafka_ready(services.settings),
    }
    failing: list[str] = []
    for name, check in checks.items():
        try:
            await asyncio.wait_for(check, READY_TIMEOUT_S)
        except Exception:  # any failure means "not ready"; which one is the answer
            failing.append(name)
    if failing:
        return JSONResponse({"status": "unavailable", "failing": failing}, status_code=503)
    return JSONResponse({"status": "ready"})


async def _postgres_ready(services: ApiServices) -> None:
    async with services.pool.connection() as conn:
        await conn.execute("SELECT 1")


async def _kafka_ready(settings: Settings) -> None:
    if not settings.kafka_bootstrap:
        raise ConnectionError("VERACHAIN_KAFKA_BOOTSTRAP is not set")
    host, _, port = settings.kafka_bootstrap.split(",")[0].rpartition(":")
    _, writer = await asyncio.open_connection(host, int(port))
    writer.close()
    await writer.wait_closed()


async def metrics(request: Request) -> Response:
    services: ApiServices = request.app.state.services
    if services.pipeline is not None:
        with contextlib.suppress(Exception):  # a scrape during an outage still answers
            await asyncio.wait_for(services.pipeline.refresh(services.pool), READY_TIMEOUT_S)
    body = await asyncio.to_thread(generate_latest, services.registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


def create_app(
    settings: Settings,
    *,
    graphiql: bool = True,
    min_position_wait_s: float = DEFAULT_MIN_POSITION_WAIT_S,
) -> Starlette:
    # Production (no GraphiQL) also answers no introspection: the schema is not advertised.
    graphql = VeraGraphQL(
        build_schema(production=not graphiql), graphql_ide="graphiql" if graphiql else None
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with open_services(settings, min_position_wait_s=min_position_wait_s) as services:
            app.state.services = services
            assert services.hub is not None
            app.state.plain_websocket = ws_route(
                services.hub, token_authenticator(services.jwt_secret)
            )
            yield

    return Starlette(
        # Outside in: every answer (a 413 too) carries the security and CORS headers.
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(CORSMiddleware, **cors_middleware_kwargs(os.environ)),
            # GraphQL keeps the 1 MB limit; /evidence streams images under its own.
            Middleware(BodySizeLimit, own_limit_paths={"/evidence"}),
        ],
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            WebSocketRoute("/ws", _plain_websocket),
            Route("/health", health),
            Route("/ready", ready),
            Route("/metrics", metrics),
            *audit_routes(),
            *certificate_routes(),
            *evidence_routes(),
            *report_routes(),
            *dashboard_routes(),
        ],
        lifespan=lifespan,
    )
