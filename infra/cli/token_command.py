"""`verachain token --sub NAME --role ROLE`: print a signed bearer token."""

from __future__ import annotations

from datetime import timedelta

import click

from commands.actor import Role
from infra.settings import Settings
from infra.tokens import TokenError, issue_token, load_or_create_secret


@click.command()
@click.option("--sub", required=True, help="The subject (user id) of the token.")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice([r.value for r in Role]),
    help="A role; repeat for several.",
)
@click.option("--ttl-hours", default=12.0, show_default=True, type=float)
def token(sub: str, roles: tuple[str, ...], ttl_hours: float) -> None:
    """Print a signed HS256 bearer token (secret: VERACHAIN_JWT_SECRET, or the dev secret)."""
    settings = Settings.from_env()
    secret = settings.jwt_secret or load_or_create_secret(settings.data_dir)
    if ttl_hours <= 0:
        raise TokenError("--ttl-hours must be positive")
    click.echo(issue_token(secret, sub, [Role(r) for r in roles], ttl=timedelta(hours=ttl_hours)))
