"""Value rules shared by the aggregates: text fields, money, currencies, hashes."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from domain.errors import ValidationFailed

MAX_AMOUNT = Decimal("1000000000000")  # 10^12 in any currency: far above any real sale
CENT = Decimal("0.01")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


def require_text(field: str, value: str, *, max_length: int, allow_empty: bool = False) -> str:
    """Strip the value and check its length; return the stripped value."""
    stripped = value.strip()
    if not stripped and not allow_empty:
        raise ValidationFailed(f"{field} must not be empty", field=field)
    if len(stripped) > max_length:
        raise ValidationFailed(f"{field} is longer than {max_length} characters", field=field)
    return stripped


def require_currency(currency: str) -> str:
    if not _CURRENCY.fullmatch(currency):
        raise ValidationFailed(
            "currency must be a three-letter ISO 4217 code", field="currency", value=currency
        )
    return currency


def require_amount(field: str, amount: Decimal) -> Decimal:
    """A positive, finite amount with at most two decimal places, returned as cents."""
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise ValidationFailed(f"{field} must be a finite decimal number", field=field)
    if amount <= 0:
        raise ValidationFailed(f"{field} must be positive", field=field)
    if amount > MAX_AMOUNT:
        raise ValidationFailed(f"{field} is larger than {MAX_AMOUNT}", field=field)
    cents = amount.quantize(CENT)
    if cents != amount:  # 12.500 is a legal 12.50; 12.505 is not
        raise ValidationFailed(f"{field} has more than 2 decimal places", field=field)
    return cents


def parse_amount(field: str, text: str) -> Decimal:
    """Parse a client-supplied amount string (never a float) and apply require_amount."""
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, AttributeError) as e:
        raise ValidationFailed(f"{field} is not a decimal number", field=field) from e
    return require_amount(field, value)


def require_sha256_hex(field: str, value: str) -> str:
    if not _SHA256_HEX.fullmatch(value):
        raise ValidationFailed(f"{field} must be a lowercase SHA-256 hex digest", field=field)
    return value
