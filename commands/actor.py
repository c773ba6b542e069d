"""Who sends a command: an authenticated principal and their roles."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from domain.errors import Forbidden, Unauthenticated


class Role(StrEnum):
    MANUFACTURER = "manufacturer"
    INSPECTOR = "inspector"
    BIDDER = "bidder"
    AUDITOR = "auditor"
    ADMIN = "admin"
    # Internal principals: stream agents (AI scoring, auction timers) act under this role.
    SYSTEM = "system"


@dataclass(frozen=True, slots=True)
class Actor:
    id: str
    roles: frozenset[Role]

    @classmethod
    def of(cls, actor_id: str, *roles: Role | str) -> Actor:
        return cls(actor_id, frozenset(Role(r) for r in roles))

    def has_any(self, *roles: Role) -> bool:
        return not self.roles.isdisjoint(roles)


def require_role(actor: Actor | None, *roles: Role, action: str) -> Actor:
    """Raise UNAUTHENTICATED without an actor, FORBIDDEN without one of the roles."""
    if actor is None or not actor.id:
        raise Unauthenticated(f"{action} needs an authenticated caller")
    if not actor.has_any(*roles):
        wanted = " or ".join(sorted(r.value for r in roles))
        raise Forbidden(f"{action} needs the role {wanted}")
    return actor
