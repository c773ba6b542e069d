"""The domain's refusals as a client sees them over HTTP, each with its CONTRACT code and
nothing stored; and an unexpected failure answered as INTERNAL with no internals."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from commands.actor import Actor, Role
from domain.statuses import Verdict
from infra.bootstrap import build_bus, build_event_store
from infra.scenario import certified_product
from tests.integration.api.conftest import RunningApi

OPEN = """mutation($input: OpenAuctionInput!) { openAuction(input: $input) { auctionId } }"""
BID = """mutation($a: ID!) { placeBid(auctionId: $a, amount: "500.00") { position } }"""
REVOKE = """mutation($c: ID!) { revokeCertificate(certificateId: $c, reason: "stolen") {
  position } }"""


def code(body: dict[str, Any]) -> str:
    assert body.get("errors"), body
    value: str = body["errors"][0]["extensions"]["code"]
    return value


def head(api: RunningApi) -> int:
    assert api.settings.database_url is not None
    with psycopg.connect(api.settings.database_url) as conn:
        row = conn.execute("SELECT coalesce(max(notification_id), 0) FROM verachain_events")
        value = row.fetchone()
    return int(value[0]) if value else 0


def auction_input(product_id: str, starts_in: timedelta) -> dict[str, Any]:
    starts = datetime.now(UTC) + starts_in
    return {
        "productId": product_id,
        "reservePrice": "100.00",
        "minIncrement": "5.00",
        "currency": "EUR",
        "startsAt": starts.isoformat(),
        "endsAt": (starts + timedelta(hours=1)).isoformat(),
    }


async def test_each_domain_refusal_has_its_code_and_stores_nothing(bare_api: RunningApi) -> None:
    api = bare_api
    seller = Actor.of("acme", Role.MANUFACTURER, Role.BIDDER)
    store = build_event_store(api.settings)
    try:
        async with build_bus(api.settings, store) as bus:
            certified, certificate = await certified_product(
                bus, seller, sku="C-1", serial="S-1", name="Watch", verdict=Verdict.AUTHENTIC
            )
            running, _ = await certified_product(
                bus, seller, sku="C-2", serial="S-2", name="Bag", verdict=Verdict.AUTHENTIC
            )
    finally:
        store.close()
    assert certificate is not None
    seller_token = api.token("acme", Role.MANUFACTURER, Role.BIDDER)
    inspector = api.token("ines", Role.INSPECTOR)

    unverified = await api.graphql(
        """mutation { registerProduct(input: {sku: "U", serialNumber: "U-1", name: "u",
        manufacturer: "acme"}) { productId } }""",
        token=seller_token,
    )
    unverified_id = unverified["data"]["registerProduct"]["productId"]
    future = await api.graphql(
        OPEN, {"input": auction_input(str(certified), timedelta(hours=1))}, seller_token
    )
    auction_id = future["data"]["openAuction"]["auctionId"]
    now = await api.graphql(
        OPEN, {"input": auction_input(str(running), timedelta(0))}, seller_token
    )
    running_auction_id = now["data"]["openAuction"]["auctionId"]
    await api.graphql(REVOKE, {"c": str(certificate)}, inspector)

    before = head(api)
    refusals = {
        "NOT_VERIFIED": await api.graphql(
            OPEN, {"input": auction_input(unverified_id, timedelta(0))}, seller_token
        ),
        "AUCTION_NOT_OPEN": await api.graphql(BID, {"a": auction_id}, api.token("bo", Role.BIDDER)),
        "SELF_BIDDING": await api.graphql(BID, {"a": running_auction_id}, seller_token),
        "ALREADY_REVOKED": await api.graphql(REVOKE, {"c": str(certificate)}, inspector),
    }
    assert {expected: code(body) for expected, body in refusals.items()} == {
        expected: expected for expected in refusals
    } or _explain(refusals)
    assert head(api) == before  # refused commands append nothing


def _explain(refusals: dict[str, dict[str, Any]]) -> bool:
    raise AssertionError({k: v.get("errors") for k, v in refusals.items()})


async def test_an_unexpected_failure_is_internal_and_says_nothing_more(
    bare_api: RunningApi,
) -> None:
    assert bare_api.settings.database_url is not None
    with psycopg.connect(bare_api.settings.database_url, autocommit=True) as conn:
        conn.execute("DROP TABLE read_model.auctions CASCADE")  # the read model broken
    body = await bare_api.graphql(
        "query($a: ID!) { auction(id: $a) { id } }", {"a": str(uuid.uuid4())}
    )
    assert code(body) == "INTERNAL"
    text = str(body)
    assert "auctions" not in text
    assert "Traceback" not in text
    assert "psycopg" not in text
