"""A product's stated category and manufacture date survive `projections rebuild` (COPY
into a date column), `projections check` finds no difference, and a products table made
before the columns existed gains them in place."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date
from uuid import UUID

import psycopg
from psycopg_pool import AsyncConnectionPool
from redis import Redis

from commands.actor import Actor, Role
from commands.bus import CommandBus
from commands.messages import RegisterProduct
from commands.store import EventStore
from infra.settings import Settings
from streams.sql_projection import ensure_read_model_schema
from tests.integration.rebuild.support import check, rebuild, sql_value
from tests.support.database import TestDatabase

MAKER = Actor.of("rebuild-maker-attributes", Role.MANUFACTURER)
STATED = "SELECT array[category, manufactured_on::text] FROM read_model.products WHERE id = %s"


async def register(bus: CommandBus, **stated: object) -> UUID:
    result = await bus.dispatch(
        RegisterProduct(
            sku="W-42",
            serial_number=f"SN-{uuid.uuid4().hex}",
            name="Chronograph watch",
            manufacturer=MAKER.id,
            **stated,  # type: ignore[arg-type]
        ),
        MAKER,
    )
    return UUID(result.ids["productId"])


async def test_stated_attributes_are_rebuilt_and_checked(
    own_database: TestDatabase, settings: Settings, store: EventStore, bus: CommandBus, redis: Redis
) -> None:
    art = await register(bus, category="Art", manufactured_on=date(1987, 6, 30))
    only_dated = await register(bus, manufactured_on=date(2020, 2, 29))
    unstated = await register(bus)

    await asyncio.to_thread(rebuild, settings, store, redis)

    assert (await asyncio.to_thread(check, settings, store, redis)).differences == ()
    assert sql_value(own_database, STATED, art) == ["art", "1987-06-30"]
    assert sql_value(own_database, STATED, only_dated) == [None, "2020-02-29"]
    assert sql_value(own_database, STATED, unstated) == [None, None]


async def test_a_products_table_from_before_the_columns_gains_them_in_place(
    own_database: TestDatabase, settings: Settings, store: EventStore, bus: CommandBus, redis: Redis
) -> None:
    product = await register(bus, category="handbag", manufactured_on=date(2001, 1, 1))
    await asyncio.to_thread(rebuild, settings, store, redis)
    with psycopg.connect(own_database.url, autocommit=True) as conn:
        conn.execute(
            "ALTER TABLE read_model.products DROP COLUMN category, DROP COLUMN manufactured_on"
        )

    async with AsyncConnectionPool(own_database.url, min_size=1, max_size=1) as pool:
        await ensure_read_model_schema(pool)

    # Null until a rebuild (or the row's next event) fills them; the check then agrees.
    assert sql_value(own_database, STATED, product) == [None, None]
    await asyncio.to_thread(rebuild, settings, store, redis)
    assert sql_value(own_database, STATED, product) == ["handbag", "2001-01-01"]
    assert (await asyncio.to_thread(check, settings, store, redis)).differences == ()
