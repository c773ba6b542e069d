"""Live updates end to end: a bid placed over HTTP reaches a GraphQL subscriber (`gql`
client, both WebSocket protocols) and a plain /ws subscriber, through the relay, the
broker, the worker, Redis pub/sub and the API's hub."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import websockets
from gql import Client, gql
from gql.transport.websockets import WebsocketsTransport

from commands.actor import Role
from tests.integration.api.conftest import RunningApi
from tests.support.traffic import one_open_auction

SUBSCRIBE = """subscription($a: ID!) { auctionUpdates(auctionId: $a) {
    auctionId kind amount { amount currency } bidderId bidCount position } }"""
BID = """mutation($a: ID!, $amount: Decimal!) { placeBid(auctionId: $a, amount: $amount) {
  position } }"""


async def _an_open_auction(api: RunningApi) -> tuple[str, str]:
    opened = await one_open_auction(api.settings)
    return str(opened.auction_id), str(opened.reserve)


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
async def test_a_bid_reaches_a_graphql_subscriber(running_api: RunningApi, protocol: str) -> None:
    api = running_api
    auction_id, reserve = await _an_open_auction(api)
    transport = WebsocketsTransport(
        url=api.url.replace("http", "ws") + "/graphql",
        subprotocols=[protocol],
        init_payload={"Authorization": f"Bearer {api.token('watcher', Role.BIDDER)}"},
    )
    async with Client(transport=transport, fetch_schema_from_transport=False) as session:
        request = gql(SUBSCRIBE)
        request.variable_values = {"a": auction_id}
        updates = session.subscribe(request)
        first = asyncio.ensure_future(anext(updates))
        await asyncio.sleep(0.5)  # the subscription is registered on the hub
        placed = await api.graphql(
            BID, {"a": auction_id, "amount": reserve}, api.token("bo", Role.BIDDER)
        )
        assert not placed.get("errors"), placed
        update: dict[str, Any] = (await asyncio.wait_for(first, 60))["auctionUpdates"]
    assert update["auctionId"] == auction_id
    assert update["kind"] == "BID_PLACED"
    assert update["bidderId"] == "bo"
    assert update["bidCount"] == 1
    assert update["position"] == placed["data"]["placeBid"]["position"]


async def test_a_bid_reaches_a_plain_websocket_subscriber(running_api: RunningApi) -> None:
    api = running_api
    auction_id, reserve = await _an_open_auction(api)
    async with websockets.connect(api.url.replace("http", "ws") + "/ws") as ws:
        await ws.send("{not json")
        assert json.loads(await ws.recv())["code"] == "VALIDATION_FAILED"
        await ws.send(json.dumps({"type": "subscribe:auction", "auctionId": auction_id}))
        assert json.loads(await ws.recv())["type"] == "subscribed"
        placed = await api.graphql(
            BID, {"a": auction_id, "amount": reserve}, api.token("bea", Role.BIDDER)
        )
        assert not placed.get("errors"), placed
        update = json.loads(await asyncio.wait_for(ws.recv(), 60))
    assert update["type"] == "auction:update"
    assert update["auctionId"] == auction_id
    assert update["bidderId"] == "bea"
    assert update["position"] == placed["data"]["placeBid"]["position"]
