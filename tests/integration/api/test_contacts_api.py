"""The contact directory through the API: each caller sets, reads and clears their own
e-mail, an admin sets anyone's, malformed input is VALIDATION_FAILED and changes nothing,
and the mutations spend the mutation budget."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from commands.actor import Role
from tests.integration.api.conftest import RunningApi, api_settings, serving
from tests.support.database import TestDatabase
from tests.support.kafka import KafkaTarget

SET_OWN = """mutation($e: String) { setContactEmail(email: $e) { subject email } }"""
SET_FOR = """mutation($s: String!, $e: String) {
  setContactEmailFor(subject: $s, email: $e) { subject email } }"""
MINE = """{ myContact { subject email updatedAt } }"""


def data(body: dict[str, Any]) -> dict[str, Any]:
    assert not body.get("errors"), body
    result: dict[str, Any] = body["data"]
    return result


def codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors") or []]


async def test_a_caller_sets_reads_and_clears_their_own_email(bare_api: RunningApi) -> None:
    api = bare_api
    token = api.token("bo", Role.BIDDER)
    assert data(await api.graphql(MINE, token=token))["myContact"] == {
        "subject": "bo",
        "email": None,
        "updatedAt": None,
    }
    changed = data(await api.graphql(SET_OWN, {"e": " Bo.Smith@Mail.EXAMPLE.com "}, token))
    assert changed["setContactEmail"] == {"subject": "bo", "email": "Bo.Smith@mail.example.com"}
    mine = data(await api.graphql(MINE, token=token))["myContact"]
    assert (mine["subject"], mine["email"]) == ("bo", "Bo.Smith@mail.example.com")
    assert mine["updatedAt"] is not None

    # Every role may keep an address; each sees only its own.
    inspector = api.token("ines", Role.INSPECTOR)
    data(await api.graphql(SET_OWN, {"e": "ines@example.org"}, inspector))
    assert data(await api.graphql(MINE, token=inspector))["myContact"]["email"] == (
        "ines@example.org"
    )
    assert data(await api.graphql(MINE, token=token))["myContact"]["email"] == (
        "Bo.Smith@mail.example.com"
    )

    for clearing in ({"e": None}, {"e": ""}, {"e": "   "}, {}):
        data(await api.graphql(SET_OWN, {"e": "bo@example.com"}, token))
        cleared = data(await api.graphql(SET_OWN, clearing, token))["setContactEmail"]
        assert cleared == {"subject": "bo", "email": None}, clearing
        assert data(await api.graphql(MINE, token=token))["myContact"]["email"] is None


async def test_a_malformed_address_is_refused_and_changes_nothing(bare_api: RunningApi) -> None:
    api = bare_api
    token = api.token("bea", Role.BIDDER)
    data(await api.graphql(SET_OWN, {"e": "bea@example.com"}, token))
    for bad in ("bea", "bea@localhost", "b e a@example.com", "bea@exa_mple.com", "x" * 300):
        body = await api.graphql(SET_OWN, {"e": bad}, token)
        assert codes(body) == ["VALIDATION_FAILED"], body
        assert body["errors"][0]["message"].startswith("email is not valid: "), body
        assert body["data"] is None
    # A header injection attempt is refused like any malformed address.
    injected = await api.graphql(SET_OWN, {"e": "bea@example.com\r\nBcc: x@example.com"}, token)
    assert codes(injected) == ["VALIDATION_FAILED"]
    assert data(await api.graphql(MINE, token=token))["myContact"]["email"] == "bea@example.com"


async def test_anonymous_callers_get_unauthenticated(bare_api: RunningApi) -> None:
    for query, variables in (
        (MINE, {}),
        (SET_OWN, {"e": "x@example.com"}),
        (SET_FOR, {"s": "x", "e": "x@example.com"}),
    ):
        assert codes(await bare_api.graphql(query, variables)) == ["UNAUTHENTICATED"]


async def test_only_an_admin_sets_another_subjects_email(bare_api: RunningApi) -> None:
    api = bare_api
    admin = api.token("ops", Role.ADMIN)
    target = api.token("carla", Role.BIDDER)
    set_by_admin = data(await api.graphql(SET_FOR, {"s": "carla", "e": "carla@Example.NET"}, admin))
    assert set_by_admin["setContactEmailFor"] == {"subject": "carla", "email": "carla@example.net"}
    assert data(await api.graphql(MINE, token=target))["myContact"]["email"] == (
        "carla@example.net"
    )
    assert data(await api.graphql(MINE, token=admin))["myContact"]["email"] is None

    for role in (Role.MANUFACTURER, Role.INSPECTOR, Role.BIDDER, Role.AUDITOR):
        body = await api.graphql(
            SET_FOR, {"s": "carla", "e": "evil@example.com"}, api.token("mallory", role)
        )
        assert codes(body) == ["FORBIDDEN"], (role, body)
    # Even to clear it: someone else's address is not theirs to remove.
    body = await api.graphql(SET_FOR, {"s": "carla", "e": None}, api.token("mallory", Role.BIDDER))
    assert codes(body) == ["FORBIDDEN"]

    for subject in ("", " carla", "car\nla", "s" * 257):
        body = await api.graphql(SET_FOR, {"s": subject, "e": "a@example.com"}, admin)
        assert codes(body) == ["VALIDATION_FAILED"], (subject, body)
        assert body["errors"][0]["message"].startswith("subject is not valid: ")
    assert codes(await api.graphql(SET_FOR, {"s": "carla", "e": "carla@"}, admin)) == [
        "VALIDATION_FAILED"
    ]
    assert data(await api.graphql(MINE, token=target))["myContact"]["email"] == (
        "carla@example.net"
    )

    cleared = data(await api.graphql(SET_FOR, {"s": "carla", "e": None}, admin))
    assert cleared["setContactEmailFor"] == {"subject": "carla", "email": None}
    assert data(await api.graphql(MINE, token=target))["myContact"]["email"] is None


@pytest.fixture
async def mutation_limited_api(
    api_database: TestDatabase,
    redis_url: str,
    kafka: KafkaTarget,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[RunningApi]:
    """The API alone with a tiny mutation budget (6 a minute, a burst of 1)."""
    monkeypatch.setenv("VERACHAIN_RATE_MUTATIONS_PER_MIN", "6")
    async with serving(api_settings(api_database, redis_url, kafka, tmp_path), 0.3) as api:
        yield api


async def test_contact_mutations_spend_the_mutation_budget(
    mutation_limited_api: RunningApi,
) -> None:
    api = mutation_limited_api
    token = api.token("dora", Role.BIDDER)
    data(await api.graphql(SET_OWN, {"e": "dora@example.com"}, token))
    refused = await api.graphql(SET_OWN, {"e": "other@example.com"}, token)
    assert codes(refused) == ["RATE_LIMITED"], refused
    assert refused["errors"][0]["extensions"]["retryAfter"] > 0
    # Reads have their own budget: the refused change changed nothing.
    assert data(await api.graphql(MINE, token=token))["myContact"]["email"] == "dora@example.com"
