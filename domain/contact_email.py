"""Contact e-mail addresses and the subjects they belong to: what is accepted, and the one
spelling it is stored in. Pure; the directory itself is infra/contacts.py.

Deliberately narrower than RFC 5322: a dot-atom local part of printable ASCII and a domain
of DNS host names. Quoted local parts, comments and IP literals are refused: they are rare
in real addresses, and every accepted address must be safe to put in a `To:` header as it
is (no space, quote, CR or LF can pass)."""

from __future__ import annotations

import re
import unicodedata

from domain.errors import ValidationFailed

MAX_EMAIL = 254  # RFC 5321: a path of 256 octets, less its angle brackets
MAX_LOCAL_PART = 64  # RFC 5321 4.5.3.1.1
MAX_DOMAIN = 253
MAX_SUBJECT = 256

# RFC 5322 atext, split into atoms by single dots (no leading, trailing or double dot).
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LOCAL_PART = re.compile(rf"{_ATOM}(?:\.{_ATOM})*")
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


class InvalidContact(ValidationFailed):
    """A malformed e-mail address or subject; the directory is left as it was."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field} is not valid: {problem}", field=field)
        self.field = field


def normalize_email(raw: str) -> str:
    """The address as stored: surrounding blanks removed and the domain in lower case (an
    internationalized domain in its ASCII form). The local part keeps its case: RFC 5321
    lets the receiving server tell `Alice` from `alice`. Raises InvalidContact."""
    address = raw.strip()
    if len(address) > MAX_EMAIL:
        raise InvalidContact("email", f"longer than {MAX_EMAIL} characters")
    local, at, domain = address.rpartition("@")
    if not at:
        raise InvalidContact("email", "it has no '@'")
    if not local:
        raise InvalidContact("email", "nothing before the '@'")
    if len(local) > MAX_LOCAL_PART:
        raise InvalidContact("email", f"the part before '@' is longer than {MAX_LOCAL_PART}")
    if not _LOCAL_PART.fullmatch(local):
        raise InvalidContact(
            "email",
            "the part before '@' may hold letters, digits, single dots and "
            "!#$%&'*+/=?^_`{|}~- only (no spaces, quotes or non-ASCII)",
        )
    ascii_domain = _ascii_domain(domain)
    if len(local) + 1 + len(ascii_domain) > MAX_EMAIL:
        raise InvalidContact("email", f"longer than {MAX_EMAIL} characters")
    return f"{local}@{ascii_domain}"


def _ascii_domain(domain: str) -> str:
    if not domain:
        raise InvalidContact("email", "no domain after the '@'")
    lowered = domain.lower()
    if not lowered.isascii():
        try:  # IDNA 2003 from the standard library: bücher.example -> xn--bcher-kva.example
            lowered = lowered.encode("idna").decode("ascii")
        except UnicodeError as e:
            raise InvalidContact("email", "the domain is not a valid host name") from e
    if len(lowered) > MAX_DOMAIN:
        raise InvalidContact("email", f"the domain is longer than {MAX_DOMAIN} characters")
    labels = lowered.split(".")
    if len(labels) < 2:
        # Refuses `alice@localhost` too: a contact address must be deliverable from
        # wherever the notifications are sent, and a lone label usually is a typo.
        raise InvalidContact("email", "the domain needs a dot (like example.com)")
    for label in labels:
        if not _LABEL.fullmatch(label):
            raise InvalidContact(
                "email",
                "each part of the domain must be 1 to 63 letters, digits or inner hyphens",
            )
    if labels[-1].isdigit():
        raise InvalidContact("email", "the domain cannot end in a number (no IP addresses)")
    return lowered


def email_or_none(raw: str | None) -> str | None:
    """For setters where null or a blank string means "no address" (clear it)."""
    if raw is None or not raw.strip():
        return None
    return normalize_email(raw)


def validate_subject(raw: str) -> str:
    """A token subject as given (never trimmed: ` alice` is not `alice`). Raises
    InvalidContact for an empty one, one too long, or one with control characters or
    surrounding blanks (almost always a copy-and-paste slip)."""
    if not raw.strip():
        raise InvalidContact("subject", "it is empty")
    if len(raw) > MAX_SUBJECT:
        raise InvalidContact("subject", f"longer than {MAX_SUBJECT} characters")
    if raw != raw.strip():
        raise InvalidContact("subject", "it starts or ends with blanks")
    if any(unicodedata.category(ch).startswith("C") for ch in raw):
        raise InvalidContact("subject", "it contains control characters")
    return raw
