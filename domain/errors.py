"""Typed domain errors. Each carries the stable code of CONTRACT.md that clients see."""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    """A rule of the domain refused a command; nothing was changed."""

    code: ClassVar[str] = "VALIDATION_FAILED"
    # True when the refusal would stand against any newer state of the same aggregates
    # (a bid below the minimum stays below it: minimums only grow). The bus then need not
    # re-check a refusal decided on a cached copy that another writer has since moved on.
    survives_newer_state: ClassVar[bool] = False

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class ValidationFailed(DomainError):
    code = "VALIDATION_FAILED"


class DuplicateProduct(ValidationFailed):
    """The manufacturer already registered a product with this serial number."""

    survives_newer_state = True


class UnknownCategory(ValidationFailed):
    """A registration named a category the catalogue (and the price model) does not know."""


class InvalidManufactureDate(ValidationFailed):
    """A registration's manufacture date is in the future or before 1900."""


class InvalidTransition(ValidationFailed):
    """The aggregate is not in a state where this command makes sense."""


class NotFound(DomainError):
    code = "NOT_FOUND"


class Unauthenticated(DomainError):
    code = "UNAUTHENTICATED"


class Forbidden(DomainError):
    code = "FORBIDDEN"


class BidTooLow(DomainError):
    code = "BID_TOO_LOW"
    survives_newer_state = True


class AuctionNotOpen(DomainError):
    code = "AUCTION_NOT_OPEN"


class SelfBidding(DomainError):
    code = "SELF_BIDDING"
    survives_newer_state = True


class NotVerified(DomainError):
    code = "NOT_VERIFIED"


class AlreadyRevoked(DomainError):
    code = "ALREADY_REVOKED"
    survives_newer_state = True


class BidAlreadyFlagged(ValidationFailed):
    """FlagBid of a bid flagged before. A flag is never taken back, so the refusal stands
    against any newer state; an agent that redelivers treats it as done."""

    survives_newer_state = True


class ConcurrencyConflict(DomainError):
    """Another writer kept changing the same aggregate; retries were exhausted."""

    code = "CONFLICT"


ERROR_CODES: tuple[str, ...] = (
    "UNAUTHENTICATED",
    "FORBIDDEN",
    "NOT_FOUND",
    "VALIDATION_FAILED",
    "BID_TOO_LOW",
    "AUCTION_NOT_OPEN",
    "SELF_BIDDING",
    "NOT_VERIFIED",
    "ALREADY_REVOKED",
    "CONFLICT",
    "RATE_LIMITED",
    "QUERY_TOO_COMPLEX",
    "INTERNAL",
)
