"""The GraphQL schema: CONTRACT.md's roots, with the extensions every operation runs
through (error codes, the caller's token, the stale flag, query limits)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import strawberry
from strawberry.extensions import (
    DisableIntrospection,
    ParserCache,
    SchemaExtension,
    ValidationCache,
)

from api.errors import CodedErrors, graphql_error
from api.mutations import Mutation
from api.operation_metrics import OperationMetrics
from api.operation_rate_limit import OperationRateLimit
from api.operation_tracing import OperationTracing
from api.queries import Query
from api.query_limits import query_limit_extensions
from api.subscriptions import Subscription

SDL_PATH = Path(__file__).with_name("schema.graphql")
CACHED_DOCUMENTS = 512  # distinct query texts kept parsed and validated


class BadTokenRefused(SchemaExtension):
    """A token that is present but invalid fails the whole operation, public or not."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context.context
        error = getattr(context, "auth_error", None)
        if error is not None:
            # Already coded: an error raised here skips the other extensions' hooks.
            raise graphql_error(error)
        yield


class StaleFlag(SchemaExtension):
    """`stale: true` in the response extensions when a minPosition wait ran out."""

    def get_results(self) -> dict[str, Any]:
        context = self.execution_context.context
        return {"stale": True} if getattr(context, "stale", False) else {}


def build_schema(
    extra_extensions: list[Any] | None = None, *, production: bool = False
) -> strawberry.Schema:
    # Extensions as classes, not instances: instances would be shared by concurrent
    # requests (FINDINGS.md).
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=[
            CodedErrors,
            *query_limit_extensions(),
            # Parsing and validating the same query text again was two thirds of a
            # request's CPU (py-spy on `verachain bench api`). Only documents that passed
            # the limits are parsed successfully, so only those are cached.
            lambda: ParserCache(maxsize=CACHED_DOCUMENTS),
            lambda: ValidationCache(maxsize=CACHED_DOCUMENTS),
            BadTokenRefused,
            OperationRateLimit,
            StaleFlag,
            OperationMetrics,
            OperationTracing,
            *([DisableIntrospection] if production else []),
            *(extra_extensions or []),
        ],
    )


def sdl() -> str:
    return build_schema().as_str() + "\n"


if __name__ == "__main__":  # python -m api.schema: regenerate api/schema.graphql
    SDL_PATH.write_text(sdl())
