"""Value rules: text, amounts (never floats), currencies, SHA-256 digests."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from domain.errors import ValidationFailed
from domain.rules import (
    MAX_AMOUNT,
    parse_amount,
    require_amount,
    require_currency,
    require_sha256_hex,
    require_text,
)

# -- amounts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("12.500", "12.50"),
        ("12.5", "12.50"),
        ("12", "12.00"),
        ("0.01", "0.01"),
        ("1E+2", "100.00"),
        ("1000000000000", "1000000000000.00"),
        ("999999999999.99", "999999999999.99"),
    ],
)
def test_require_amount_returns_cents(given: str, expected: str) -> None:
    result = require_amount("amount", Decimal(given))
    assert str(result) == expected
    assert result == Decimal(given)


@pytest.mark.parametrize(
    "given",
    [
        "NaN",
        "sNaN",
        "-NaN",
        "Infinity",
        "-Infinity",
        "0",
        "-0",
        "0.00",
        "-0.01",
        "-12.50",
        "12.505",
        "0.001",
        "0.009",
        "1E-30",
        "12.5000000000000000000000000000001",
        "1000000000000.01",
        "1E+13",
        "1E+400",
    ],
)
def test_require_amount_refuses(given: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        require_amount("reservePrice", Decimal(given))
    assert caught.value.code == "VALIDATION_FAILED"
    assert caught.value.details["field"] == "reservePrice"


@pytest.mark.parametrize("given", [12.5, 12, "12.50", None])
def test_require_amount_refuses_anything_but_a_decimal(given: Any) -> None:
    with pytest.raises(ValidationFailed):
        require_amount("amount", given)


def test_the_maximum_amount_is_a_trillion() -> None:
    assert require_amount("amount", MAX_AMOUNT) == MAX_AMOUNT
    with pytest.raises(ValidationFailed):
        require_amount("amount", MAX_AMOUNT + Decimal("0.01"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12.500", "12.50"),
        (" 12.5 ", "12.50"),
        ("1250.00", "1250.00"),
        ("7", "7.00"),
    ],
)
def test_parse_amount_accepts_decimal_text(text: str, expected: str) -> None:
    assert str(parse_amount("amount", text)) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "  ",
        "abc",
        "12,50",
        "12.50 EUR",
        "$12",
        "NaN",
        "nan",
        "Infinity",
        "inf",
        "-5",
        "0",
        "12.505",
        "1e400",
        "9" * 40,
    ],
)
def test_parse_amount_refuses(text: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_amount("amount", text)
    assert caught.value.details["field"] == "amount"


def test_parse_amount_refuses_a_value_that_is_not_text() -> None:
    with pytest.raises(ValidationFailed):
        parse_amount("amount", None)  # type: ignore[arg-type]


# -- currency --------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["EUR", "USD", "JPY", "XAU"])
def test_require_currency_accepts_three_capital_letters(code: str) -> None:
    assert require_currency(code) == code


@pytest.mark.parametrize(
    "code", ["", "eur", "Eur", "EU", "EURO", "E1R", " EUR", "EUR ", "€UR", "ÄBC"]
)
def test_require_currency_refuses(code: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        require_currency(code)
    assert caught.value.details["field"] == "currency"


def test_require_currency_refuses_a_trailing_newline() -> None:
    with pytest.raises(ValidationFailed):
        require_currency("EUR\n")


# -- text and digests ------------------------------------------------------------------------


def test_require_text_strips_and_checks_the_stripped_length() -> None:
    assert require_text("name", "  abc  ", max_length=3) == "abc"
    with pytest.raises(ValidationFailed) as caught:
        require_text("name", "abcd", max_length=3)
    assert caught.value.details["field"] == "name"


def test_require_text_refuses_empty_unless_allowed() -> None:
    with pytest.raises(ValidationFailed):
        require_text("name", " \t ", max_length=3)
    assert require_text("notes", " \t ", max_length=3, allow_empty=True) == ""


def test_require_sha256_hex_accepts_a_lowercase_digest() -> None:
    digest = "0123456789abcdef" * 4
    assert require_sha256_hex("h", digest) == digest


@pytest.mark.parametrize("value", ["", "0" * 63, "0" * 65, "F" * 64, "z" * 64])
def test_require_sha256_hex_refuses(value: str) -> None:
    with pytest.raises(ValidationFailed):
        require_sha256_hex("h", value)


def test_require_sha256_hex_refuses_a_trailing_newline() -> None:
    with pytest.raises(ValidationFailed):
        require_sha256_hex("h", "0" * 64 + "\n")
