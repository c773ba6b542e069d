"""Rate limiting per GraphQL operation: queries spend the caller's `reads` budget, mutations
`mutations`, subscriptions `subscriptions`; the caller is the token's subject, else the
client's IP. A refusal says when to retry (`extensions.retryAfter`, seconds)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from graphql.error import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from api.http_guards import client_ip
from api.rate_limit import RateKind, RateLimited, rate_identity

_KIND_BY_OPERATION: dict[OperationType, RateKind] = {
    OperationType.QUERY: "reads",
    OperationType.MUTATION: "mutations",
    OperationType.SUBSCRIPTION: "subscriptions",
}


class OperationRateLimit(SchemaExtension):
    async def on_execute(self) -> AsyncIterator[None]:
        await enforce_budget(self.execution_context.context, self.execution_context.operation_type)
        yield


async def enforce_budget(context: object, operation_type: OperationType) -> None:
    """Spend one unit of the caller's budget for this kind of operation, or raise the
    coded GraphQLError (also called for answers served from the response cache)."""
    services = getattr(context, "services", None)
    limiter = getattr(services, "limiter", None)
    if limiter is None:
        return
    actor = getattr(context, "actor", None)
    request = getattr(context, "request", None)
    ip = client_ip(request.scope) if request is not None else "unknown"
    kind = _KIND_BY_OPERATION[operation_type]
    try:
        await limiter.enforce(kind, rate_identity(actor.id if actor else None, ip))
    except RateLimited as e:
        # Coded here: an error raised in this hook skips the other extensions.
        raise GraphQLError(
            e.message,
            extensions={"code": e.code, "retryAfter": round(e.retry_after_s, 3)},
        ) from e
