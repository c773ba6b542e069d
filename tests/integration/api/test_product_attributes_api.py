"""registerProduct with a stated category and manufacture date: both are read back from the
read model, and the price estimate uses them instead of what the name and the registration
date would suggest (the expected amounts are computed here with the same model)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from commands.actor import Role
from infra.models.price_features import PriceInputs
from infra.models.scoring import PriceEstimator
from tests.integration.api.conftest import RunningApi
from tests.integration.api.test_graphql_flow import REGISTER, data, error_code

MANUFACTURER = "Aurelia"
PRODUCT = """query($id: ID!, $pos: Int) { product(id: $id, minPosition: $pos) {
  name category manufacturedOn priceEstimate { amount currency } } }"""


def watch(**stated: str) -> dict[str, str]:
    """A product whose name says "watch"."""
    return {
        "sku": "W-42",
        "serialNumber": f"SN-{uuid.uuid4().hex[:10]}",
        "name": "Chronograph watch",
        "manufacturer": MANUFACTURER,
        **stated,
    }


def expected_estimate(category: str, age_years: float) -> Decimal:
    """The model's price for an Aurelia item not assessed yet (0.5, grade "good") whose
    manufacturer has no sales in the test's own database."""
    item = PriceInputs(
        category=category,
        manufacturer=MANUFACTURER,
        authenticity=0.5,
        quality_grade=2,
        recent_median_price=None,
        age_years=age_years,
    )
    return PriceEstimator.load().estimate(item)


def years_since(day: date) -> float:
    return (datetime.now(UTC).date() - day).days / 365.25


async def test_stated_category_and_date_are_read_back_and_priced(running_api: RunningApi) -> None:
    api = running_api
    maker = api.token("aurelia", Role.MANUFACTURER)
    products: dict[str, dict[str, str]] = {
        "art": watch(category="art", manufacturedOn="1990-06-30"),
        "dated": watch(manufacturedOn="2005-01-15"),
        "unstated": watch(),
    }
    registered: dict[str, Any] = {}
    for label, product in products.items():
        body = await api.graphql(REGISTER, {"input": product}, maker)
        registered[label] = data(body)["registerProduct"]
    last = max(r["position"] for r in registered.values())

    read: dict[str, Any] = {}
    for label, result in registered.items():
        body = await api.graphql(PRODUCT, {"id": result["productId"], "pos": last}, maker)
        read[label] = data(body)["product"]

    assert (read["art"]["category"], read["art"]["manufacturedOn"]) == ("art", "1990-06-30")
    assert (read["dated"]["category"], read["dated"]["manufacturedOn"]) == (None, "2005-01-15")
    assert (read["unstated"]["category"], read["unstated"]["manufacturedOn"]) == (None, None)
    amount = {label: Decimal(p["priceEstimate"]["amount"]) for label, p in read.items()}
    assert {p["priceEstimate"]["currency"] for p in read.values()} == {"EUR"}
    # Stated: art of 1990, whatever the name says.
    assert amount["art"] == expected_estimate("art", years_since(date(1990, 6, 30)))
    # Only the date stated: the category is still inferred from the name.
    assert amount["dated"] == expected_estimate("watch", years_since(date(2005, 1, 15)))
    # Nothing stated (as every v1 product): a watch as old as its registration (seconds).
    assert amount["unstated"] == expected_estimate("watch", 0.0)
    assert amount["art"] != amount["unstated"]
    assert amount["dated"] != amount["unstated"]


async def test_an_unknown_category_or_a_bad_date_is_validation_failed(bare_api: RunningApi) -> None:
    api = bare_api
    maker = api.token("aurelia", Role.MANUFACTURER)
    next_year = f"{datetime.now(UTC).year + 1}-06-01"

    refusals = {
        "unknown category": watch(category="furniture"),
        "future date": watch(manufacturedOn=next_year),
        "before 1900": watch(manufacturedOn="1899-12-31"),
        "not a date": watch(manufacturedOn="2019-13-01"),
    }

    for why, product in refusals.items():
        body = await api.graphql(REGISTER, {"input": product}, maker)
        assert error_code(body) == "VALIDATION_FAILED", why
        assert body.get("data") is None, why
    unknown = await api.graphql(REGISTER, {"input": refusals["unknown category"]}, maker)
    assert "'furniture' is not one of watch" in unknown["errors"][0]["message"]
