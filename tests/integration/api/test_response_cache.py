"""The response cache through HTTP (api/response_cache.py): a kept answer is served again
while its rows are current and never after one of them moved; answers that no row version
covers are never kept; a kept answer still spends the caller's read budget."""

from __future__ import annotations

import re
import uuid
from typing import Any

from commands.actor import Role
from tests.integration.api.conftest import RunningApi
from tests.support.traffic import one_open_auction

AUCTION = """query($a: ID!) { auction(id: $a) { status bidCount
  highestBid { bidderId amount { amount currency } } bids(first: 10) { bidderId } } }"""
AUCTION_AT = """query($a: ID!, $p: Int) { auction(id: $a, minPosition: $p) { bidCount } }"""
BID = "mutation($a: ID!, $m: Decimal!) { placeBid(auctionId: $a, amount: $m) { position } }"
PRODUCT_PRICE = "query($p: ID!) { product(id: $p) { name priceEstimate { amount } } }"
OUTCOME = re.compile(r'^verachain_graphql_cache_total\{outcome="(\w+)"\} (\S+)$', re.M)


async def outcomes(api: RunningApi) -> dict[str, float]:
    text = (await api.client.get(f"{api.url}/metrics")).text
    return {name: float(value) for name, value in OUTCOME.findall(text)}


def since(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {
        k: after.get(k, 0) - before.get(k, 0) for k in after if after.get(k, 0) != before.get(k, 0)
    }


async def answer(api: RunningApi, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    body = await api.graphql(query, variables)
    assert not body.get("errors"), body
    data: dict[str, Any] = body["data"]
    return data


async def test_a_kept_answer_is_served_until_a_bid_moves_the_auction(
    running_api: RunningApi,
) -> None:
    api = running_api
    opened = await one_open_auction(api.settings)
    auction = {"a": str(opened.auction_id)}
    await answer(api, AUCTION_AT, {**auction, "p": 1})  # the worker has caught up (not kept)

    before = await outcomes(api)
    first = await answer(api, AUCTION, auction)
    again = [await answer(api, AUCTION, auction) for _ in range(3)]
    assert again == [first] * 3
    assert since(before, await outcomes(api)) == {"miss": 1, "kept": 1, "hit": 3}
    assert first["auction"]["bidCount"] == 0

    placed = await api.graphql(
        BID, {"a": auction["a"], "m": str(opened.reserve)}, api.token("bo", Role.BIDDER)
    )
    assert not placed.get("errors"), placed
    position = placed["data"]["placeBid"]["position"]
    await answer(api, AUCTION_AT, {**auction, "p": position})  # now projected

    before = await outcomes(api)
    after_bid = await answer(api, AUCTION, auction)
    assert after_bid["auction"]["bidCount"] == 1
    assert after_bid["auction"]["highestBid"]["bidderId"] == "bo"
    assert after_bid["auction"]["bids"] == [{"bidderId": "bo"}]
    assert since(before, await outcomes(api)) == {"stale": 1, "kept": 1}


async def test_an_absent_row_is_a_version_too(running_api: RunningApi) -> None:
    api = running_api
    missing = {"a": str(uuid.uuid4())}
    assert await answer(api, AUCTION, missing) == {"auction": None}
    before = await outcomes(api)
    assert await answer(api, AUCTION, missing) == {"auction": None}
    assert since(before, await outcomes(api)) == {"hit": 1}


async def test_an_answer_no_row_version_covers_is_never_kept(running_api: RunningApi) -> None:
    api = running_api
    opened = await one_open_auction(api.settings)
    product = {"p": str(opened.product_id)}
    await answer(
        api,
        "query($a: ID!) { auction(id: $a, minPosition: 1) { id } }",
        {"a": str(opened.auction_id)},
    )

    before = await outcomes(api)
    for _ in range(2):
        await answer(api, PRODUCT_PRICE, product)
    assert since(before, await outcomes(api)) == {"miss": 2, "unkept": 2}


async def test_callers_do_not_share_answers(running_api: RunningApi) -> None:
    api = running_api
    opened = await one_open_auction(api.settings)
    query = "query($a: ID!) { auction(id: $a) { id sellerId } }"
    variables = {"a": str(opened.auction_id)}
    await answer(api, "query($a: ID!) { auction(id: $a, minPosition: 1) { id } }", variables)

    before = await outcomes(api)
    await api.graphql(query, variables)
    await api.graphql(query, variables, api.token("ann", Role.BIDDER))
    await api.graphql(query, variables, api.token("bob", Role.BIDDER))
    assert since(before, await outcomes(api)) == {"miss": 3, "kept": 3}


async def test_kept_answers_still_spend_the_read_budget(limited_api: RunningApi) -> None:
    api = limited_api
    missing = {"a": str(uuid.uuid4())}
    bodies = [await api.graphql(AUCTION, missing) for _ in range(30)]
    codes = [[e["extensions"]["code"] for e in b.get("errors") or []] for b in bodies]
    assert ["RATE_LIMITED"] in codes, "30 reads in a burst of 10 were all allowed"
    assert (await outcomes(api)).get("hit", 0) >= 5  # the refused ones include kept answers
