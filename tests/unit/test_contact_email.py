"""Which contact addresses and subjects are accepted, and the spelling they are stored in."""

from __future__ import annotations

import pytest

from domain.contact_email import (
    MAX_EMAIL,
    InvalidContact,
    email_or_none,
    normalize_email,
    validate_subject,
)


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("alice@example.com", "alice@example.com"),
        ("  Alice.Smith@Example.COM \n", "Alice.Smith@example.com"),  # local part keeps case
        ("a+tag@mail.example.co.uk", "a+tag@mail.example.co.uk"),
        ("o'brien_{x}@sub-domain.example", "o'brien_{x}@sub-domain.example"),
        ("x@B\u00dcCHER.example", "x@xn--bcher-kva.example"),  # IDN in its ASCII form
        ("a@" + "d" * 63 + ".example", "a@" + "d" * 63 + ".example"),
    ],
)
def test_valid_addresses_are_stored_with_a_lower_case_domain(raw: str, stored: str) -> None:
    assert normalize_email(raw) == stored


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("", "no '@'"),
        ("alice", "no '@'"),
        ("@example.com", "nothing before"),
        ("alice@", "no domain"),
        ("alice@localhost", "needs a dot"),
        ("al ice@example.com", "part before '@'"),
        ('"alice"@example.com', "part before '@'"),
        ("a@b@example.com", "part before '@'"),
        (".alice@example.com", "part before '@'"),
        ("al..ice@example.com", "part before '@'"),
        ("alice.@example.com", "part before '@'"),
        ("j\u00f6rg@example.com", "part before '@'"),
        ("alice@example.com\r\nBcc: all@example.com", "part before '@'"),
        ("alice@exa\r\nmple.com", "part of the domain"),
        ("alice@exa mple.com", "part of the domain"),
        ("alice@-example.com", "part of the domain"),
        ("alice@example-.com", "part of the domain"),
        ("alice@example..com", "part of the domain"),
        ("alice@example.com.", "part of the domain"),
        ("alice@exa_mple.com", "part of the domain"),
        ("alice@" + "d" * 64 + ".example", "part of the domain"),
        ("alice@[127.0.0.1]", "part of the domain"),
        ("alice@127.0.0.1", "cannot end in a number"),
        ("a" * 65 + "@example.com", "longer than 64"),
        ("a@" + ("d" * 60 + ".") * 5 + "example", f"longer than {MAX_EMAIL}"),
    ],
)
def test_malformed_addresses_are_refused_naming_the_problem(raw: str, problem: str) -> None:
    with pytest.raises(InvalidContact) as refused:
        normalize_email(raw)
    assert refused.value.code == "VALIDATION_FAILED"
    assert refused.value.field == "email"
    assert problem in refused.value.message


def test_the_length_limit_is_the_whole_address_after_normalising() -> None:
    local = "a" * 64
    domain = ".".join(["d" * 61] * 3) + ".example"  # 64 + 1 + 193 = 258 > 254
    assert len(domain) <= 253
    with pytest.raises(InvalidContact, match=f"longer than {MAX_EMAIL}"):
        normalize_email(f"{local}@{domain}")
    fits = f"{local}@{'d' * 61}.{'d' * 61}.{'d' * 61}.exa"
    assert len(fits) == MAX_EMAIL
    assert normalize_email(fits) == fits


def test_null_or_blank_means_no_address() -> None:
    assert email_or_none(None) is None
    assert email_or_none("") is None
    assert email_or_none("   ") is None
    assert email_or_none(" Bob@Example.org ") == "Bob@example.org"
    with pytest.raises(InvalidContact):
        email_or_none("bob")


def test_subjects_are_taken_as_given_or_refused() -> None:
    assert validate_subject("dev-bidder") == "dev-bidder"
    assert validate_subject("user:42@tenant") == "user:42@tenant"
    for bad, problem in [
        ("", "empty"),
        ("  ", "empty"),
        (" alice", "blanks"),
        ("alice\n", "blanks"),
        ("al\x00ice", "control"),
        ("al\u200bice", "control"),  # zero-width space: looks like `alice`, is not
        ("s" * 257, "longer than 256"),
    ]:
        with pytest.raises(InvalidContact, match=problem) as refused:
            validate_subject(bad)
        assert refused.value.field == "subject"
