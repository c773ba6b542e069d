"""The RegisterProduct handler: the manufacturer owns the product, and a serial is unique
per manufacturer, also within one batch."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest

from commands.messages import (
    RegisterProduct,
)
from commands.registry import HANDLERS
from commands.workspace import HandlerContext, Workspace
from domain.errors import DuplicateProduct
from domain.product import Product
from tests.support.certificate_issuer import fixed_issuer
from tests.unit.handler_support import (
    Cast,
    register_command,
    topics,
)
from tests.unit.support import (
    World,
    prov,
)


def test_register_product_records_the_product_owned_by_the_manufacturer() -> None:
    cast = Cast()
    world = World()

    attempt = world.run(register_command(), cast.maker)

    assert attempt.outcome is not None
    product_id = UUID(attempt.outcome.ids["productId"])
    assert attempt.outcome.main_aggregate_id == product_id
    assert topics(attempt.events) == ["ProductRegistered"]
    assert attempt.events[0].actor == cast.maker.id
    assert world.get(Product, product_id).owner_id == cast.maker.id


def test_registering_the_same_serial_twice_is_a_duplicate() -> None:
    cast = Cast()
    world = World()
    serial = f"SN-{uuid4().hex}"
    world.run(register_command("Acme", serial), cast.maker)

    error = world.refuse(register_command(" Acme ", f" {serial} "), cast.other_maker)

    assert isinstance(error, DuplicateProduct)
    assert error.code == "VALIDATION_FAILED"


def test_the_same_serial_of_another_manufacturer_is_a_different_product() -> None:
    cast = Cast()
    world = World()
    serial = f"SN-{uuid4().hex}"
    world.run(register_command("Acme", serial), cast.maker)
    attempt = world.run(register_command("Globex", serial), cast.maker)
    assert topics(attempt.events) == ["ProductRegistered"]


def test_a_duplicate_inside_one_batch_is_refused_before_it_is_saved() -> None:
    cast = Cast()
    workspace = Workspace(load=lambda _id: None)
    command = register_command()
    first = HandlerContext(workspace, cast.maker, prov(cast.maker.id), fixed_issuer())
    HANDLERS[RegisterProduct](command, first)
    # The batch takes each accepted command's events before it runs the next one.
    assert topics(first.collect_events()) == ["ProductRegistered"]
    second = HandlerContext(workspace, cast.maker, prov(cast.maker.id), fixed_issuer())

    with pytest.raises(DuplicateProduct):
        HANDLERS[RegisterProduct](command, second)

    assert second.collect_events() == []
    assert len(workspace.aggregates) == 1
