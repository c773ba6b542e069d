"""Racing registrations of one item (same manufacturer + serial number): exactly one
product, exactly one ProductRegistered event; every other caller hears why."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import UUID, uuid4

import pytest

from commands.actor import Actor, Role
from commands.bus import CommandBus
from commands.messages import RegisterProduct
from commands.results import CommandResult
from commands.store import EventStore
from domain.errors import DuplicateProduct
from domain.product import Product, product_id_for
from tests.support.hammer_worker import WorkerPlan
from tests.support.history import count_registrations, stored_events
from tests.support.worker_process import start_all

if TYPE_CHECKING:  # not at run time: pytest would try to collect a class named Test*
    from tests.support.database import TestDatabase


def _check_one_product(store: EventStore, manufacturer: str, serial_number: str) -> Product:
    product_id = product_id_for(manufacturer, serial_number)
    events = stored_events(store, product_id)
    assert len(events) == 1
    assert isinstance(events[0], Product.Registered)
    assert count_registrations(store, manufacturer, serial_number) == 1
    product = store.load(product_id)
    assert isinstance(product, Product)
    return product


async def test_twenty_registrations_at_once_on_one_bus_make_one_product(
    bus: CommandBus, store: EventStore
) -> None:
    manufacturer, serial = f"Maison {uuid4().hex[:8]}", f"SN-{uuid4().hex}"
    # Surrounding blanks do not make another item: the id is taken from the stripped text.
    spellings = [(manufacturer, serial), (f"  {manufacturer} ", f"{serial}\t")]
    makers = [Actor.of(f"maker-{uuid4().hex[:8]}", Role.MANUFACTURER) for _ in range(20)]
    commands = [
        RegisterProduct(
            sku="DUP",
            serial_number=spellings[i % 2][1],
            name="Item",
            manufacturer=spellings[i % 2][0],
        )
        for i in range(20)
    ]
    batches_before = bus.processor.stats.batches

    outcomes = await asyncio.gather(
        *(bus.dispatch(c, m) for c, m in zip(commands, makers, strict=True)),
        return_exceptions=True,
    )

    assert bus.processor.stats.batches == batches_before + 1, "all 20 went in one batch"
    winners = [
        (o, m) for o, m in zip(outcomes, makers, strict=True) if isinstance(o, CommandResult)
    ]
    assert len(winners) == 1
    losers = [o for o in outcomes if not isinstance(o, CommandResult)]
    assert all(isinstance(o, DuplicateProduct) and o.code == "VALIDATION_FAILED" for o in losers)
    result, winner = winners[0]
    assert UUID(result.ids["productId"]) == product_id_for(manufacturer, serial)
    product = _check_one_product(store, manufacturer, serial)
    assert product.owner_id == winner.id

    with pytest.raises(DuplicateProduct):  # and later, too
        await bus.dispatch(commands[0], makers[0])


@pytest.mark.slow
async def test_registrations_racing_from_two_processes_make_one_product(
    store: EventStore, test_database: TestDatabase, tmp_path: Path
) -> None:
    manufacturer, serial = f"Maison {uuid4().hex[:8]}", f"SN-{uuid4().hex}"
    plans = [
        WorkerPlan(
            mode="register",
            name=name,
            database_url=test_database.url,
            report_path=str(tmp_path / f"report-{name}.json"),
            manufacturer=manufacturer,
            serial_number=serial,
            register_count=10,
        )
        for name in ("A", "B")
    ]
    workers = await start_all(plans, tmp_path)
    try:
        reports = [await w.finish() for w in workers]
    finally:
        await asyncio.gather(*(w.aclose() for w in workers))

    accepted = [a for r in reports for a in r["accepted"]]
    refused = [r for report in reports for r in report["refused"]]
    assert len(accepted) == 1, accepted
    assert len(refused) == 19
    for r in refused:
        assert r["code"] in {"VALIDATION_FAILED", "CONFLICT"}, r
        if r["code"] == "VALIDATION_FAILED":
            assert r["error"].startswith("DuplicateProduct:"), r
    product = _check_one_product(store, manufacturer, serial)
    assert str(product.id) == accepted[0]["ids"]["productId"]
    assert product.owner_id == accepted[0]["actor"]
    # Whether the two batches really met at the store (one of them re-ran after a clash)
    # depends on timing; shown for the record, not asserted.
    print("conflict re-runs:", [r["stats"]["conflict_reruns"] for r in reports])


@pytest.mark.slow
async def test_one_makers_keyed_retries_from_two_processes_share_one_result(
    store: EventStore, test_database: TestDatabase, tmp_path: Path
) -> None:
    """The same keyed registration, ten times in each of two processes at once: one is
    recorded, the other nineteen get its result back (replayed), never a refusal."""
    manufacturer, serial = f"Maison {uuid4().hex[:8]}", f"SN-{uuid4().hex}"
    plans = [
        WorkerPlan(
            mode="register",
            name=name,
            database_url=test_database.url,
            report_path=str(tmp_path / f"report-{name}.json"),
            manufacturer=manufacturer,
            serial_number=serial,
            register_count=10,
            shared_key=f"register-{serial}",
        )
        for name in ("A", "B")
    ]
    workers = await start_all(plans, tmp_path)
    try:
        reports = [await w.finish() for w in workers]
    finally:
        await asyncio.gather(*(w.aclose() for w in workers))

    refused = [r for report in reports for r in report["refused"]]
    accepted = [a for r in reports for a in r["accepted"]]
    assert len(accepted) + len(refused) == 20
    assert [a["replayed"] for a in accepted].count(False) == 1
    assert len({(a["aggregate_id"], a["position"], a["version"]) for a in accepted}) == 1
    product = _check_one_product(store, manufacturer, serial)
    assert str(product.id) == accepted[0]["aggregate_id"]
    # Every keyed retry gets the original's result, also when the original committed in the
    # other process between this batch's receipt lookup and its decision.
    assert not refused, refused[:3]
