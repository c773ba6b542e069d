"""The contact directory in GraphQL: every authenticated caller reads and sets (or clears)
their own notification e-mail; an admin sets anyone's. Addresses live outside the event
store (infra/contacts.py says why), so these payloads have no `position`: the change is
visible to the next read at once. Mutations spend the caller's mutation budget like any
other (api/operation_rate_limit.py)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from commands.actor import Role, require_role
from domain.contact_email import email_or_none, validate_subject
from infra.contacts import ContactDirectory

log = logging.getLogger(__name__)


@strawberry.type(description="Where a subject's notification e-mails go.")
class Contact:
    subject: str = strawberry.field(description="the token subject (actor id in events)")
    email: str | None = strawberry.field(description="null: no e-mails are sent")
    updated_at: datetime | None = strawberry.field(description="null when there is no address")


@strawberry.type
class ContactPayload:
    subject: str
    email: str | None = strawberry.field(description="as stored (the domain in lower case)")


def _directory(info: Info[Any, None]) -> ContactDirectory:
    return ContactDirectory(info.context.services.pool)


async def _set(info: Info[Any, None], subject: str, email: str | None) -> ContactPayload:
    # Validated before anything is written: a malformed address is VALIDATION_FAILED
    # (InvalidContact) and the stored one stays.
    address = email_or_none(email)
    directory = _directory(info)
    if address is None:
        await directory.clear(subject)
        return ContactPayload(subject=subject, email=None)
    stored = await directory.set_email(subject, address)
    return ContactPayload(subject=stored.subject, email=stored.email)


@strawberry.type
class ContactQueries:
    @strawberry.field(description="The caller's own contact (any authenticated role).")  # type: ignore[untyped-decorator]
    async def my_contact(self, info: Info[Any, None]) -> Contact:
        actor = info.context.require_actor()
        found = await _directory(info).contact(actor.id)
        if found is None:
            return Contact(subject=actor.id, email=None, updated_at=None)
        return Contact(subject=found.subject, email=found.email, updated_at=found.updated_at)


@strawberry.type
class ContactMutations:
    @strawberry.mutation(
        description="Set the caller's own notification e-mail; null or empty clears it."
    )  # type: ignore[untyped-decorator]
    async def set_contact_email(
        self, info: Info[Any, None], email: str | None = None
    ) -> ContactPayload:
        actor = info.context.require_actor()
        return await _set(info, actor.id, email)

    @strawberry.mutation(
        description="Admin: set another subject's notification e-mail; null or empty clears it."
    )  # type: ignore[untyped-decorator]
    async def set_contact_email_for(
        self, info: Info[Any, None], subject: str, email: str | None = None
    ) -> ContactPayload:
        admin = require_role(
            info.context.require_actor(), Role.ADMIN, action="setting another's contact e-mail"
        )
        payload = await _set(info, validate_subject(subject), email)
        # Who changed whose address, never the address itself (personal data in logs).
        log.info(
            "contact e-mail of %s %s by admin %s",
            subject,
            "set" if payload.email else "cleared",
            admin.id,
        )
        return payload
