"""Features of the price-estimate model and the Decimal boundary of its output. Pure code:
the model works in log-price floats; money leaves here as Decimal cents."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

CATEGORIES: tuple[str, ...] = ("watch", "handbag", "sneaker", "jewelry", "electronics", "art")
# The synthetic catalogue's manufacturers; anything else is encoded as "other" (retrain with
# your own list: see the README's "Models").
MANUFACTURERS: tuple[str, ...] = (
    "aurelia",
    "borealis",
    "castellan",
    "dunmore",
    "everly",
    "fenwick",
    "galloway",
    "halden",
)
GRADE_COUNT = 5  # quality grades 0 (mint) .. 4 (worn), as the quality model's classes

PRICE_FEATURE_NAMES: tuple[str, ...] = (
    *(f"category_{c}" for c in CATEGORIES),
    *(f"manufacturer_{m}" for m in (*MANUFACTURERS, "other")),
    "authenticity",
    "quality_grade",
    "log_recent_median_price",
    "has_recent_sales",
    "age_years",
)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class PriceInputs:
    category: str
    manufacturer: str
    authenticity: float  # P(authentic) from the authenticity model, 0..1
    quality_grade: int  # 0 (mint) .. 4 (worn)
    recent_median_price: Decimal | None  # median of recent sales of the kind; None if none
    age_years: float


def price_features(item: PriceInputs) -> tuple[float, ...]:
    """The PRICE_FEATURE_NAMES vector of one item."""
    category = [1.0 if item.category == c else 0.0 for c in CATEGORIES]
    known = item.manufacturer.strip().lower()
    maker = [1.0 if known == m else 0.0 for m in MANUFACTURERS]
    maker.append(0.0 if any(maker) else 1.0)
    recent = item.recent_median_price
    return (
        *category,
        *maker,
        min(max(item.authenticity, 0.0), 1.0),
        float(min(max(item.quality_grade, 0), GRADE_COUNT - 1)),
        math.log(float(recent)) if recent and recent > 0 else 0.0,
        1.0 if recent and recent > 0 else 0.0,
        max(item.age_years, 0.0),
    )


def price_from_log(log_price: float) -> Decimal:
    """The model's log-price as money: Decimal, rounded to cents (never a float past here)."""
    return Decimal(repr(math.exp(log_price))).quantize(CENT, rounding=ROUND_HALF_EVEN)
