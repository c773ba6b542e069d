"""`verachain contacts set SUBJECT EMAIL | clear SUBJECT | list`: the notification contact
directory (infra/contacts.py), for operators. Output is tab-separated, one contact a line."""

from __future__ import annotations

import asyncio
from datetime import UTC

import click

from domain.contact_email import normalize_email, validate_subject
from infra.contacts import Contact, open_directory
from infra.settings import Settings


class ContactsInputError(click.ClickException):
    """One line on stderr, exit code 2 (CONTRACT: bad usage or input)."""

    exit_code = 2


@click.group()
def contacts() -> None:
    """Where notification e-mails go: one address per subject (a token's `sub`)."""


@contacts.command("set")
@click.argument("subject")
@click.argument("email")
def contacts_set(subject: str, email: str) -> None:
    """Set (or replace) SUBJECT's e-mail; prints it as stored."""
    if not email.strip():
        raise ContactsInputError("EMAIL is empty (to remove an address: contacts clear SUBJECT)")
    # Both checked before connecting: bad input is refused the same with the database down.
    subject, email = validate_subject(subject), normalize_email(email)

    async def run() -> Contact:
        async with open_directory(Settings.from_env()) as directory:
            return await directory.set_email(subject, email)

    contact = asyncio.run(run())
    click.echo(f"{contact.subject}\t{contact.email}")


@contacts.command("clear")
@click.argument("subject")
def contacts_clear(subject: str) -> None:
    """Remove SUBJECT's e-mail (nothing to remove is not an error)."""
    subject = validate_subject(subject)

    async def run() -> bool:
        async with open_directory(Settings.from_env()) as directory:
            return await directory.clear(subject)

    removed = asyncio.run(run())
    click.echo(f"cleared {subject}" if removed else f"{subject} had no e-mail")


@contacts.command("list")
def contacts_list() -> None:
    """Every subject with an e-mail: subject, address, when it was last set (UTC)."""

    async def run() -> list[Contact]:
        async with open_directory(Settings.from_env()) as directory:
            return await directory.contacts()

    for contact in asyncio.run(run()):
        updated = contact.updated_at.astimezone(UTC).isoformat(timespec="seconds")
        click.echo(f"{contact.subject}\t{contact.email}\t{updated}")
