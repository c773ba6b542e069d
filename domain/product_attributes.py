"""What a manufacturer may state about a product besides its identity: the category it
belongs to and the day it was made. Both are optional, and products registered before they
existed (ProductRegistered v1) have neither."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from domain.errors import InvalidManufactureDate, UnknownCategory

# The price_estimate model's categories (infra/models/price_features.py CATEGORIES, checked
# equal by a unit test: the domain may not import the model) plus "other", which the model
# encodes as no category at all.
PRODUCT_CATEGORIES: tuple[str, ...] = (
    "watch",
    "handbag",
    "sneaker",
    "jewelry",
    "electronics",
    "art",
    "other",
)
EARLIEST_MANUFACTURE_DATE = date(1900, 1, 1)
# A date is "in the future" only once no place on Earth has reached it yet: the calendar
# turns first at UTC+14, so a manufacturer there stating today's local date is not refused
# by a server whose UTC clock is still on yesterday.
_EARLIEST_TIME_ZONE = timedelta(hours=14)


def require_category(category: str | None) -> str | None:
    """The category in its catalogue spelling (stripped, lower case); None stays None."""
    if category is None:
        return None
    spelled = category.strip().lower()
    if spelled not in PRODUCT_CATEGORIES:
        raise UnknownCategory(
            f"category {category!r} is not one of {', '.join(PRODUCT_CATEGORIES)}",
            field="category",
            value=category,
            allowed=list(PRODUCT_CATEGORIES),
        )
    return spelled


def require_manufacture_date(made_on: date | None, now: datetime) -> date | None:
    """A calendar day from 1900 up to today (anywhere on Earth at `now`); None stays None."""
    if made_on is None:
        return None
    if isinstance(made_on, datetime):  # a date subclass, but an instant, not a day
        raise InvalidManufactureDate(
            "manufacturedOn must be a calendar date, not a time", field="manufacturedOn"
        )
    latest = (now + _EARLIEST_TIME_ZONE).date()
    if made_on > latest:
        raise InvalidManufactureDate(
            f"manufacturedOn {made_on.isoformat()} is in the future",
            field="manufacturedOn",
            value=made_on.isoformat(),
        )
    if made_on < EARLIEST_MANUFACTURE_DATE:
        raise InvalidManufactureDate(
            f"manufacturedOn {made_on.isoformat()} is before "
            f"{EARLIEST_MANUFACTURE_DATE.isoformat()}",
            field="manufacturedOn",
            value=made_on.isoformat(),
        )
    return made_on
