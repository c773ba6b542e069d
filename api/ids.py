"""ID arguments: every id the API accepts is a UUID, refused with VALIDATION_FAILED otherwise."""

from __future__ import annotations

from uuid import UUID

from domain.errors import ValidationFailed


def parse_id(value: str, name: str = "id") -> str:
    try:
        return str(UUID(value))
    except ValueError as e:
        raise ValidationFailed(f"{name} must be a UUID") from e
