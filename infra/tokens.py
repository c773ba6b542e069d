"""Bearer tokens: HS256 JWTs with `sub` and `roles` claims (CONTRACT.md)."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt

from commands.actor import Actor, Role

ISSUER = "verachain"
DEFAULT_TTL = timedelta(hours=12)


class TokenError(ValueError):
    """The token is missing, malformed, expired or not signed by us."""


def issue_token(
    secret: str,
    subject: str,
    roles: Iterable[Role],
    *,
    ttl: timedelta = DEFAULT_TTL,
    now: datetime | None = None,
    audience: str | None = None,
) -> str:
    if not subject:
        raise TokenError("a token needs a subject")
    issued = now or datetime.now(UTC)
    claims: dict[str, object] = {
        "sub": subject,
        "roles": sorted(r.value for r in roles),
        "iss": ISSUER,
        "iat": int(issued.timestamp()),
        "exp": int((issued + ttl).timestamp()),
    }
    if audience:
        claims["aud"] = audience
    return jwt.encode(claims, secret, algorithm="HS256")


def verify_token(secret: str, token: str, *, audience: str | None = None) -> Actor:
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            issuer=ISSUER,
            audience=audience,
            options={"require": ["sub", "exp", "iss"], "verify_aud": audience is not None},
        )
    except jwt.PyJWTError as e:
        raise TokenError(str(e)) from e
    raw_roles = claims.get("roles", [])
    if not isinstance(raw_roles, list):
        raise TokenError("the roles claim must be a list")
    try:
        roles = [Role(r) for r in raw_roles]
    except ValueError as e:
        raise TokenError(f"unknown role in token: {e}") from e
    return Actor.of(str(claims["sub"]), *roles)


def load_or_create_secret(data_dir: Path) -> str:
    """The development signing secret, kept in the data directory (mode 0600)."""
    path = data_dir / "jwt_secret"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    path.touch(mode=0o600)
    path.write_text(secret + "\n")
    return secret
