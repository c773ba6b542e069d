"""What a client gets at the API's door: codes for missing, bad and insufficient
credentials, for malformed input, for unknown ids; stale reads flagged; no internals."""

from __future__ import annotations

import uuid
from typing import Any

from commands.actor import Role
from infra.tokens import issue_token
from tests.integration.api.conftest import RunningApi

REGISTER = """mutation { registerProduct(input: {sku: "S", serialNumber: "N-%s", name: "n",
  manufacturer: "m"}) { productId position } }"""


def codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors") or []]


async def test_a_mutation_without_a_token_is_unauthenticated(bare_api: RunningApi) -> None:
    body = await bare_api.graphql(REGISTER % uuid.uuid4().hex)
    assert codes(body) == ["UNAUTHENTICATED"]


async def test_a_bad_token_is_refused_even_for_public_reads(bare_api: RunningApi) -> None:
    forged = issue_token("another-secret-of-at-least-32-bytes!", "mallory", [Role.ADMIN])
    body = await bare_api.graphql("{ auctions { edges { cursor } } }", token=forged)
    assert codes(body) == ["UNAUTHENTICATED"]
    assert body.get("data") is None


async def test_the_wrong_role_is_forbidden_and_changes_nothing(bare_api: RunningApi) -> None:
    bidder = bare_api.token("bo", Role.BIDDER)
    body = await bare_api.graphql(REGISTER % uuid.uuid4().hex, token=bidder)
    assert codes(body) == ["FORBIDDEN"]
    products = await bare_api.graphql("{ products { edges { cursor } } }")
    assert products["data"]["products"]["edges"] == []


async def test_malformed_input_is_a_validation_failure(bare_api: RunningApi) -> None:
    bidder = bare_api.token("bo", Role.BIDDER)
    bad_id = await bare_api.graphql(
        'mutation { placeBid(auctionId: "not-a-uuid", amount: "10.00") { position } }',
        token=bidder,
    )
    assert codes(bad_id) == ["VALIDATION_FAILED"]
    bad_amount = await bare_api.graphql(
        'mutation($a: ID!) { placeBid(auctionId: $a, amount: "ten") { position } }',
        {"a": str(uuid.uuid4())},
        token=bidder,
    )
    assert codes(bad_amount) == ["VALIDATION_FAILED"]
    unknown_field = await bare_api.graphql("{ auctions { nope } }")
    assert codes(unknown_field) == ["VALIDATION_FAILED"]
    bad_cursor = await bare_api.graphql('{ products(after: "%%%") { edges { cursor } } }')
    assert codes(bad_cursor) == ["VALIDATION_FAILED"]
    too_many = await bare_api.graphql("{ products(first: 1000) { edges { cursor } } }")
    assert codes(too_many) == ["VALIDATION_FAILED"]


async def test_an_unknown_auction_is_not_found_on_write_and_null_on_read(
    bare_api: RunningApi,
) -> None:
    missing = str(uuid.uuid4())
    bidder = bare_api.token("bo", Role.BIDDER)
    body = await bare_api.graphql(
        'mutation($a: ID!) { placeBid(auctionId: $a, amount: "10.00") { position } }',
        {"a": missing},
        token=bidder,
    )
    assert codes(body) == ["NOT_FOUND"]
    read = await bare_api.graphql("query($a: ID!) { auction(id: $a) { id } }", {"a": missing})
    assert read == {"data": {"auction": None}}


async def test_a_read_before_the_read_model_caught_up_is_flagged_stale(
    bare_api: RunningApi,
) -> None:
    maker = bare_api.token("acme", Role.MANUFACTURER)
    written = await bare_api.graphql(REGISTER % uuid.uuid4().hex, token=maker)
    payload = written["data"]["registerProduct"]
    # No worker runs behind this API: the read model never gets there.
    body = await bare_api.graphql(
        "query($p: ID!, $pos: Int) { product(id: $p, minPosition: $pos) { id } }",
        {"p": payload["productId"], "pos": payload["position"]},
    )
    assert body["data"] == {"product": None}
    assert body["extensions"] == {"stale": True}


async def test_health_ready_and_metrics(bare_api: RunningApi) -> None:
    health = await bare_api.client.get(f"{bare_api.url}/health")
    assert health.json() == {"status": "ok"}
    ready = await bare_api.client.get(f"{bare_api.url}/ready")
    assert ready.status_code == 200, ready.text
    await bare_api.graphql("{ auctions { edges { cursor } } }")
    await bare_api.graphql("{ nosuchfield }")
    metrics = await bare_api.client.get(f"{bare_api.url}/metrics", follow_redirects=False)
    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain")
    text = metrics.text
    assert 'verachain_api_operation_seconds_count{operation="auctions",type="query"} 1.0' in text
    assert 'operation="invalid"' in text
    assert "nosuchfield" not in text  # a client's names never become label values
    for gauge in ("store_head_position", "relay_lag_events", "read_model_lag_events"):
        assert f"verachain_api_{gauge} " in text
    assert "verachain_live_subscribers " in text
    assert "verachain_bus_batch_commands_count " in text
