"""Command handlers: every command has one handler, and each checks who is calling (an
identity, then a role) before it looks anything up."""

from __future__ import annotations

import inspect
from decimal import Decimal
from uuid import uuid4

import pytest

from commands import messages
from commands.actor import Actor, Role
from commands.messages import (
    CancelAuction,
    CloseAuction,
    Command,
    FlagBid,
    IssueCertificate,
    OpenAuction,
    PlaceBid,
    RecordAIAssessment,
    RecordInspection,
    RegisterProduct,
    RequestVerification,
    RevokeCertificate,
)
from commands.registry import HANDLERS
from domain.statuses import (
    Verdict,
)
from tests.unit.handler_support import (
    Cast,
    ai_command,
    flag_command,
    open_command,
    register_command,
)
from tests.unit.support import (
    ANONYMOUS,
    World,
    actor,
    image_hash,
)


def test_every_command_type_has_exactly_one_registered_handler() -> None:
    command_types = {
        value
        for value in vars(messages).values()
        if inspect.isclass(value) and issubclass(value, Command) and value is not Command
    }
    assert command_types == set(HANDLERS)
    assert len(set(HANDLERS.values())) == len(HANDLERS)


ROLES_ALLOWED: dict[type[Command], frozenset[Role]] = {
    RegisterProduct: frozenset({Role.MANUFACTURER}),
    RequestVerification: frozenset({Role.MANUFACTURER, Role.BIDDER, Role.ADMIN}),
    RecordAIAssessment: frozenset({Role.SYSTEM, Role.ADMIN}),
    RecordInspection: frozenset({Role.INSPECTOR}),
    IssueCertificate: frozenset({Role.INSPECTOR, Role.ADMIN}),
    RevokeCertificate: frozenset({Role.INSPECTOR, Role.ADMIN}),
    OpenAuction: frozenset({Role.MANUFACTURER, Role.BIDDER, Role.ADMIN}),
    PlaceBid: frozenset({Role.BIDDER}),
    FlagBid: frozenset({Role.SYSTEM, Role.ADMIN}),
    CloseAuction: frozenset({Role.MANUFACTURER, Role.BIDDER, Role.ADMIN, Role.SYSTEM}),
    CancelAuction: frozenset({Role.MANUFACTURER, Role.BIDDER, Role.ADMIN}),
}


def command_on_unknown_ids(kind: type[Command]) -> Command:
    unknown = uuid4()
    commands: dict[type[Command], Command] = {
        RegisterProduct: register_command(),
        RequestVerification: RequestVerification(product_id=unknown, image_hashes=(image_hash(),)),
        RecordAIAssessment: ai_command(unknown),
        RecordInspection: RecordInspection(verification_id=unknown, verdict=Verdict.AUTHENTIC),
        IssueCertificate: IssueCertificate(product_id=unknown),
        RevokeCertificate: RevokeCertificate(certificate_id=unknown, reason="fraud"),
        OpenAuction: open_command(unknown),
        PlaceBid: PlaceBid(auction_id=unknown, amount=Decimal("100")),
        FlagBid: flag_command(unknown, uuid4()),
        CloseAuction: CloseAuction(auction_id=unknown),
        CancelAuction: CancelAuction(auction_id=unknown),
    }
    return commands[kind]


def test_the_role_table_covers_every_command() -> None:
    assert set(ROLES_ALLOWED) == set(HANDLERS)


@pytest.mark.parametrize("kind", list(ROLES_ALLOWED), ids=lambda k: k.__name__)
def test_a_caller_without_an_identity_is_unauthenticated(kind: type[Command]) -> None:
    world = World()
    error = world.refuse(command_on_unknown_ids(kind), ANONYMOUS)
    assert error.code == "UNAUTHENTICATED"
    # Roles do not help a caller without an id.
    error = world.refuse(command_on_unknown_ids(kind), Actor("", frozenset(Role)))
    assert error.code == "UNAUTHENTICATED"


@pytest.mark.parametrize("role", list(Role), ids=str)
@pytest.mark.parametrize("kind", list(ROLES_ALLOWED), ids=lambda k: k.__name__)
def test_roles_are_checked_before_anything_is_looked_up(kind: type[Command], role: Role) -> None:
    world = World()
    command = command_on_unknown_ids(kind)
    caller = actor(role)
    if role not in ROLES_ALLOWED[kind]:
        assert world.refuse(command, caller).code == "FORBIDDEN"
    elif kind is RegisterProduct:
        assert world.run(command, caller).events
    else:
        assert world.refuse(command, caller).code == "NOT_FOUND"


def test_an_id_of_another_kind_of_aggregate_is_not_found() -> None:
    cast = Cast()
    world = World()
    product_id = world.registered(cast.maker)
    error = world.refuse(PlaceBid(auction_id=product_id, amount=Decimal("100")), cast.bidder)
    assert error.code == "NOT_FOUND"
    assert error.details["id"] == str(product_id)
