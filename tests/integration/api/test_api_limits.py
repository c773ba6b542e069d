"""The API's protections, through HTTP: rate limits, query complexity, body size, headers."""

from __future__ import annotations

from typing import Any

from tests.integration.api.conftest import RunningApi

QUERY = "{ auctions(first: 1) { edges { cursor } } }"


def codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors") or []]


async def test_reads_beyond_the_budget_are_rate_limited_with_a_retry_time(
    limited_api: RunningApi,
) -> None:
    answers = [await limited_api.graphql(QUERY) for _ in range(30)]
    refused = [a for a in answers if codes(a) == ["RATE_LIMITED"]]
    assert refused, "30 reads in a burst of 10 were all allowed"
    assert all(not a.get("errors") for a in answers[:5])
    retry_after = refused[0]["errors"][0]["extensions"]["retryAfter"]
    assert 0 < retry_after <= 60


async def test_a_deeply_nested_query_is_too_complex(bare_api: RunningApi) -> None:
    nested = "{ auctions { nodes { product { openAuction { product { openAuction { product {"
    nested += " openAuction { product { openAuction { product { openAuction { id"
    nested += " } } } } } } } } } } } } }"
    body = await bare_api.graphql(nested)
    assert codes(body) == ["QUERY_TOO_COMPLEX"]
    aliases = "{ " + " ".join(f"a{i}: auctions {{ edges {{ cursor }} }}" for i in range(40)) + " }"
    assert codes(await bare_api.graphql(aliases)) == ["QUERY_TOO_COMPLEX"]


async def test_a_huge_body_is_refused_before_it_is_read(bare_api: RunningApi) -> None:
    response = await bare_api.client.post(
        f"{bare_api.url}/graphql",
        content=b'{"query": "' + b"x" * 2_000_000 + b'"}',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "VALIDATION_FAILED"


async def test_malformed_json_is_a_clear_client_error(bare_api: RunningApi) -> None:
    response = await bare_api.client.post(
        f"{bare_api.url}/graphql",
        content=b"{not json",
        headers={"content-type": "application/json"},
    )
    assert 400 <= response.status_code < 500


async def test_security_headers_on_every_answer(bare_api: RunningApi) -> None:
    response = await bare_api.client.get(f"{bare_api.url}/health")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
