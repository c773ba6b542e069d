"""What a manufacturer states at registration: a category the price model knows (or
"other") and a manufacture date from 1900 up to today; both optional."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from domain.errors import InvalidManufactureDate, UnknownCategory, ValidationFailed
from domain.product import Product
from domain.product_attributes import PRODUCT_CATEGORIES
from infra.models.price_features import CATEGORIES
from tests.unit.handler_support import Cast, only, register_command
from tests.unit.support import T0, World, prov, uid

TODAY = T0.date()  # T0 is 12:00 UTC


def register(**stated: object) -> Product:
    return Product.register(
        sku="SKU-1",
        serial_number=f"SN-{uuid4().hex}",
        name="Chronograph",
        manufacturer="Acme",
        prov=prov(uid("maker")),
        **stated,  # type: ignore[arg-type]
    )


def registered_event(product: Product) -> Product.Registered:
    (event,) = product.collect_events()
    assert isinstance(event, Product.Registered)
    return event


def test_the_catalogue_categories_are_the_price_models_and_other() -> None:
    assert (*CATEGORIES, "other") == PRODUCT_CATEGORIES


def test_nothing_stated_records_nulls() -> None:
    product = register()

    event = registered_event(product)

    assert (event.category, event.manufactured_on) == (None, None)
    assert (product.category, product.manufactured_on) == (None, None)


@pytest.mark.parametrize("category", PRODUCT_CATEGORIES)
def test_every_catalogue_category_is_accepted(category: str) -> None:
    assert registered_event(register(category=category)).category == category


def test_a_category_is_recorded_in_its_catalogue_spelling() -> None:
    product = register(category="  Watch ")
    assert registered_event(product).category == "watch"
    assert product.category == "watch"


@pytest.mark.parametrize("category", ["", "  ", "watches", "furniture", "art!", "oth"])
def test_an_unknown_category_is_refused_by_name(category: str) -> None:
    with pytest.raises(UnknownCategory) as refused:
        register(category=category)

    assert isinstance(refused.value, ValidationFailed)
    assert refused.value.code == "VALIDATION_FAILED"
    assert refused.value.details["field"] == "category"
    assert refused.value.details["allowed"] == list(PRODUCT_CATEGORIES)
    assert repr(category) in refused.value.message


def test_the_manufacture_date_is_recorded() -> None:
    product = register(manufactured_on=date(2019, 5, 1))
    assert registered_event(product).manufactured_on == date(2019, 5, 1)
    assert product.manufactured_on == date(2019, 5, 1)


@pytest.mark.parametrize(
    "made_on",
    [date(1900, 1, 1), date(1999, 12, 31), TODAY, TODAY + timedelta(days=1)],
    ids=["1900-01-01", "1999", "today", "tomorrow-in-utc+14"],
)
def test_a_day_from_1900_up_to_today_anywhere_is_accepted(made_on: date) -> None:
    assert registered_event(register(manufactured_on=made_on)).manufactured_on == made_on


@pytest.mark.parametrize(
    ("made_on", "why"),
    [
        (TODAY + timedelta(days=2), "in the future"),
        (date(2100, 1, 1), "in the future"),
        (date(1899, 12, 31), "before 1900-01-01"),
        (date(1, 1, 1), "before 1900-01-01"),
    ],
)
def test_a_future_or_pre_1900_date_is_refused(made_on: date, why: str) -> None:
    with pytest.raises(InvalidManufactureDate, match=why) as refused:
        register(manufactured_on=made_on)

    assert refused.value.code == "VALIDATION_FAILED"
    assert refused.value.details["field"] == "manufacturedOn"


def test_tomorrow_is_in_the_future_once_utc_plus_14_has_not_reached_it() -> None:
    # 09:59 UTC is 23:59 at UTC+14: the next day has begun nowhere yet.
    early = datetime(2030, 1, 1, 9, 59, tzinfo=UTC)
    with pytest.raises(InvalidManufactureDate):
        Product.register(
            sku="SKU-1",
            serial_number=f"SN-{uuid4().hex}",
            name="Chronograph",
            manufacturer="Acme",
            prov=prov(uid("maker"), early),
            manufactured_on=date(2030, 1, 2),
        )


def test_a_time_is_not_a_manufacture_date() -> None:
    with pytest.raises(InvalidManufactureDate, match="calendar date"):
        register(manufactured_on=datetime(2019, 5, 1, tzinfo=UTC))


def test_the_handler_records_what_the_command_states() -> None:
    cast = Cast()
    world = World()
    command = replace(register_command(), category="Art", manufactured_on=date(1987, 6, 30))

    attempt = world.run(command, cast.maker)

    event = only(attempt.events, Product.Registered)
    assert (event.category, event.manufactured_on) == ("art", date(1987, 6, 30))
    assert attempt.outcome is not None
    product = world.get(Product, UUID(attempt.outcome.ids["productId"]))
    assert (product.category, product.manufactured_on) == ("art", date(1987, 6, 30))


def test_the_handler_refuses_a_bad_statement_and_records_nothing() -> None:
    cast = Cast()
    world = World()

    bad_category = world.refuse(replace(register_command(), category="boat"), cast.maker)
    future = world.refuse(
        replace(register_command(), manufactured_on=TODAY + timedelta(days=30)), cast.maker
    )

    assert isinstance(bad_category, UnknownCategory)
    assert isinstance(future, InvalidManufactureDate)
