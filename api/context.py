"""What every resolver gets: the caller (from the bearer token), the request's DataLoaders,
the shared services, and whether an answer was given before the read model caught up."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from api.loaders import Loaders
from api.services import ApiServices
from commands.actor import Actor
from domain.errors import DomainError, Unauthenticated
from infra.tokens import TokenError, verify_token


@dataclass
class RequestContext:
    services: ApiServices
    loaders: Loaders
    actor: Actor | None = None
    auth_error: DomainError | None = None
    stale: bool = False
    connection_params: dict[str, Any] | None = None
    request: Any = field(default=None, repr=False)

    def authenticate(self, authorization: str | None) -> None:
        """Read `Bearer <JWT>`; a token that is present but bad is an error for the whole
        operation (public or not), never silently anonymous."""
        self.actor, self.auth_error = None, None
        if not authorization:
            return
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            self.auth_error = Unauthenticated("the Authorization header must be 'Bearer <token>'")
            return
        try:
            self.actor = verify_token(
                self.services.jwt_secret, token.strip(), audience=self.services.jwt_audience
            )
        except TokenError as e:
            self.auth_error = Unauthenticated(f"invalid token: {e}")

    def require_actor(self) -> Actor:
        if self.auth_error is not None:
            raise self.auth_error
        if self.actor is None:
            raise Unauthenticated("this operation needs a bearer token")
        return self.actor
