"""`product { priceEstimate }`: the price_estimate model on a product's read-model rows.

The model is loaded once per API process, on the first estimate (never at import or at
start-up: an API that never estimates never pays for onnxruntime). The category and the age
are what the manufacturer stated at registration (ProductRegistered v2: `category`, and the
age from `manufactured_on`). What was not stated, as for every product registered before
v2, is inferred as before: the category from words in the product's name and SKU (none
matched: no category), the age from the registration date."""

from __future__ import annotations

import asyncio
import functools
import re
import statistics
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from psycopg import AsyncConnection, sql
from psycopg_pool import AsyncConnectionPool

from infra.models.price_features import PriceInputs
from infra.models.scoring import PriceEstimator
from projections.sql_schema import LIVE_SCHEMA

DEFAULT_CURRENCY = "EUR"  # the synthetic training prices carry none; no sales to copy it from
UNKNOWN_AUTHENTICITY = 0.5  # not assessed yet
UNKNOWN_GRADE = 2  # "good", the middle of 0 (mint) .. 4 (worn)
RECENT_SALES = 20
DAYS_PER_YEAR = 365.25
_CATEGORY_WORDS = {
    "watch": ("watch", "chrono", "chronograph"),
    "handbag": ("bag", "handbag", "purse", "tote"),
    "sneaker": ("sneaker", "shoe", "trainer"),
    "jewelry": ("ring", "necklace", "bracelet", "jewel", "jewelry", "earring"),
    "electronics": ("phone", "laptop", "camera", "console", "headphones"),
    "art": ("painting", "print", "art", "sculpture", "canvas"),
}


@functools.cache
def _estimator() -> PriceEstimator:
    return PriceEstimator.load()  # hash and signature checked; once per process


def category_of(name: str, sku: str) -> str:
    words = set(re.findall(r"[a-z]+", f"{name} {sku}".lower()))
    for category, markers in _CATEGORY_WORDS.items():
        if words.intersection(markers):
            return category
    return "other"  # encoded as no category at all


async def estimate_price(
    pool: AsyncConnectionPool[AsyncConnection[Any]],
    product: dict[str, Any],
    verification: dict[str, Any] | None,
    *,
    schema: str = LIVE_SCHEMA,
    now: datetime | None = None,
) -> tuple[Decimal, str]:
    """(suggested reserve price, currency) for a product row and its latest verification."""
    recent, currency = await _recent_sales(pool, schema, str(product["manufacturer"]))
    score = verification.get("ai_score") if verification else None
    grade = verification.get("ai_quality_grade") if verification else None
    category: str | None = product.get("category")
    if category is None:  # a stated "other" stays "other" (no category), whatever the name
        category = category_of(str(product["name"]), str(product["sku"]))
    item = PriceInputs(
        category=category,
        manufacturer=str(product["manufacturer"]),
        authenticity=float(score) if score is not None else UNKNOWN_AUTHENTICITY,
        quality_grade=int(grade) - 1 if grade is not None else UNKNOWN_GRADE,
        recent_median_price=recent,
        age_years=age_years(product, now or datetime.now(UTC)),
    )
    estimator = await asyncio.to_thread(_estimator)
    return estimator.estimate(item), currency


def age_years(product: dict[str, Any], now: datetime) -> float:
    """Years since the stated manufacture date, else since registration (a lower bound)."""
    made: date | None = product.get("manufactured_on")
    if made is not None:
        return (now.date() - made).days / DAYS_PER_YEAR
    registered: datetime = product["registered_at"]
    return (now - registered).total_seconds() / (DAYS_PER_YEAR * 86_400)


async def _recent_sales(
    pool: AsyncConnectionPool[AsyncConnection[Any]], schema: str, manufacturer: str
) -> tuple[Decimal | None, str]:
    """The median of this manufacturer's last sales in the currency of the latest one."""
    query = sql.SQL(
        "SELECT a.highest_amount, a.currency FROM {s}.auctions a "
        "JOIN {s}.products p ON p.id = a.product_id "
        "WHERE p.manufacturer = %s AND a.status = 'CLOSED' AND a.winner_id IS NOT NULL "
        "ORDER BY a.closed_at DESC LIMIT %s"
    ).format(s=sql.Identifier(schema))
    async with pool.connection() as conn:
        cursor = await conn.execute(query, (manufacturer, RECENT_SALES))
        rows = await cursor.fetchall()
    if not rows:
        return None, DEFAULT_CURRENCY
    currency = str(rows[0][1])
    amounts = [Decimal(row[0]) for row in rows if row[1] == currency and row[0] is not None]
    return (statistics.median(amounts) if amounts else None), currency
