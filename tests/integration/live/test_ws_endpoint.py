"""The /ws protocol end to end: a real uvicorn server with the route, a real Redis behind
the hub, and the `websockets` client in front."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import uvicorn
from prometheus_client import CollectorRegistry
from redis.asyncio import Redis
from starlette.applications import Starlette
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from api.live_hub import LiveHub
from api.ws_endpoint import token_authenticator, ws_route
from commands.actor import Role
from infra.loopback_process import free_port
from infra.tokens import issue_token
from projections.live_model import auction_channel, product_channel
from tests.integration.live.test_live_hub import (
    auction_message,
    eventually,
    subscribers_in_redis,
    verification_messages,
)

SECRET = "ws-endpoint-test-secret-of-at-least-32-bytes"
RECEIVE_TIMEOUT_S = 2.0


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.fixture
def queue_size() -> int:
    return 256


@pytest.fixture
async def hub(
    redis_url: str, registry: CollectorRegistry, queue_size: int
) -> AsyncIterator[LiveHub]:
    live_hub = LiveHub(redis_url, registry, queue_size=queue_size)
    await live_hub.start()
    try:
        yield live_hub
    finally:
        await live_hub.stop()


@pytest.fixture
async def ws_url(hub: LiveHub) -> AsyncIterator[str]:
    app = Starlette(routes=[ws_route(hub, token_authenticator(SECRET), max_subscriptions=3)])
    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        ws="websockets-sansio",
        lifespan="off",
        log_level="warning",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    while not server.started:
        assert not serving.done(), "uvicorn did not start"
        await asyncio.sleep(0.01)
    try:
        yield f"ws://127.0.0.1:{port}/ws"
    finally:
        server.should_exit = True
        await serving


async def send(ws: ClientConnection, message: dict[str, Any] | str) -> None:
    await ws.send(message if isinstance(message, str) else json.dumps(message))


async def receive(ws: ClientConnection) -> dict[str, Any]:
    raw = await asyncio.wait_for(ws.recv(), RECEIVE_TIMEOUT_S)
    message: dict[str, Any] = json.loads(raw)
    return message


async def subscribe_auction(ws: ClientConnection, auction_id: str) -> None:
    await send(ws, {"type": "subscribe:auction", "auctionId": auction_id})
    assert await receive(ws) == {
        "type": "subscribed",
        "topic": "auction",
        "auctionId": auction_id,
    }


async def test_an_auction_update_arrives_with_the_workers_fields(ws_url: str, redis: Redis) -> None:
    auction_id = str(uuid.uuid4())
    message = auction_message(auction_id, amount="1250.00", position=42)
    async with connect(ws_url) as ws:
        await subscribe_auction(ws, auction_id)
        await redis.publish(auction_channel(auction_id), message)
        assert await receive(ws) == {
            "type": "auction:update",
            "auctionId": auction_id,
            "kind": "BID_PLACED",
            "amount": {"amount": "1250.00", "currency": "EUR"},
            "bidderId": "bidder-7",
            "endsAt": "2026-12-24T18:00:00+00:00",
            "status": "OPEN",
            "bidCount": 42,
            "position": 42,
        }


async def test_verification_updates_carry_the_product_channels_messages(
    ws_url: str, redis: Redis
) -> None:
    product_id = str(uuid.uuid4())
    status, stage = verification_messages(product_id)
    async with connect(ws_url) as ws:
        # Ids are compared in canonical form: upper case is the same product.
        await send(ws, {"type": "subscribe:verification", "productId": product_id.upper()})
        assert await receive(ws) == {
            "type": "subscribed",
            "topic": "verification",
            "productId": product_id,
        }
        await redis.publish(product_channel(product_id), status)
        await redis.publish(product_channel(product_id), stage)
        first, second = await receive(ws), await receive(ws)
    assert first == {"type": "verification:update", **json.loads(status)}
    assert second == {"type": "verification:update", **json.loads(stage)}
    assert set(first) == {"type", "productId", "status", "verificationId", "position"}
    assert set(second) == {
        *("type", "productId", "verificationId", "stage", "aiScore", "verdict", "position")
    }


@pytest.mark.parametrize(
    ("message", "wording"),
    [
        ("{not json", "malformed JSON"),
        ("[1, 2]", "JSON object"),
        ({"type": "subscribe:weather", "auctionId": str(uuid.uuid4())}, "unknown message type"),
        ({"productId": str(uuid.uuid4())}, "unknown message type"),
        ({"type": "subscribe:auction", "auctionId": "not-a-uuid"}, "auctionId must be a UUID"),
        ({"type": "subscribe:auction", "auctionId": 42}, "auctionId must be a UUID"),
        ({"type": "subscribe:verification"}, "productId must be a UUID"),
        ({"type": "unsubscribe:auction", "productId": str(uuid.uuid4())}, "auctionId"),
    ],
)
async def test_a_bad_message_answers_an_error_and_the_connection_stays_usable(
    ws_url: str, redis: Redis, message: dict[str, Any] | str, wording: str
) -> None:
    auction_id = str(uuid.uuid4())
    async with connect(ws_url) as ws:
        await send(ws, message)
        error = await receive(ws)
        assert error["type"] == "error"
        assert error["code"] == "VALIDATION_FAILED"
        assert wording in error["message"]

        await subscribe_auction(ws, auction_id)
        update = auction_message(auction_id)
        await redis.publish(auction_channel(auction_id), update)
        assert await receive(ws) == {"type": "auction:update", **json.loads(update)}


async def test_unsubscribe_stops_the_updates(ws_url: str, redis: Redis) -> None:
    auction_id, product_id = str(uuid.uuid4()), str(uuid.uuid4())
    async with connect(ws_url) as ws:
        await subscribe_auction(ws, auction_id)
        await send(ws, {"type": "subscribe:verification", "productId": product_id})
        assert (await receive(ws))["type"] == "subscribed"

        await send(ws, {"type": "unsubscribe:auction", "auctionId": auction_id})
        assert await receive(ws) == {
            "type": "unsubscribed",
            "topic": "auction",
            "auctionId": auction_id,
        }
        await redis.publish(auction_channel(auction_id), auction_message(auction_id))
        # Published after the auction update: if that one were forwarded, it came first.
        marker, _ = verification_messages(product_id)
        await redis.publish(product_channel(product_id), marker)
        assert await receive(ws) == {"type": "verification:update", **json.loads(marker)}


async def test_a_closed_connection_leaves_no_subscription_behind(
    ws_url: str, redis: Redis, registry: CollectorRegistry
) -> None:
    auction_id = str(uuid.uuid4())
    async with connect(ws_url) as ws:
        await subscribe_auction(ws, auction_id)
        assert await subscribers_in_redis(redis, auction_channel(auction_id)) == 1
        assert registry.get_sample_value("verachain_live_subscribers") == 1

    async def released() -> bool:
        gone = await subscribers_in_redis(redis, auction_channel(auction_id)) == 0
        return gone and registry.get_sample_value("verachain_live_subscribers") == 0

    await eventually(released)


async def test_subscriptions_per_connection_are_limited(ws_url: str) -> None:
    ids = [str(uuid.uuid4()) for _ in range(4)]
    async with connect(ws_url) as ws:
        for auction_id in ids[:3]:
            await subscribe_auction(ws, auction_id)
        await subscribe_auction(ws, ids[0])  # already there: not one more
        await send(ws, {"type": "subscribe:auction", "auctionId": ids[3]})
        error = await receive(ws)
        assert (error["type"], error["code"]) == ("error", "RATE_LIMITED")

        await send(ws, {"type": "unsubscribe:auction", "auctionId": ids[0]})
        assert (await receive(ws))["type"] == "unsubscribed"
        await subscribe_auction(ws, ids[3])  # room again


async def test_a_valid_token_is_accepted_and_public_subscriptions_need_none(
    ws_url: str, redis: Redis
) -> None:
    token = issue_token(SECRET, "bidder-7", [Role.BIDDER])
    auction_id = str(uuid.uuid4())
    async with connect(ws_url) as ws:
        await send(ws, {"type": "auth", "token": token})
        assert await receive(ws) == {"type": "auth:ok", "subject": "bidder-7"}
        await subscribe_auction(ws, auction_id)
        await send(ws, {"type": "auth", "token": token})  # only as the first message
        assert (await receive(ws))["code"] == "VALIDATION_FAILED"


@pytest.mark.parametrize(
    "token",
    [issue_token(SECRET[::-1], "mallory", [Role.ADMIN]), "not.a.jwt", None],
)
async def test_a_bad_token_is_refused_and_closes_with_4401(ws_url: str, token: str | None) -> None:
    async with connect(ws_url) as ws:
        await send(ws, {"type": "auth", "token": token})
        error = await receive(ws)
        assert (error["type"], error["code"]) == ("error", "UNAUTHENTICATED")
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), RECEIVE_TIMEOUT_S)
    assert ws.close_code == 4401


@pytest.mark.parametrize("queue_size", [2])
async def test_a_client_that_falls_behind_is_closed_with_4008(
    ws_url: str, redis: Redis, registry: CollectorRegistry
) -> None:
    auction_id = str(uuid.uuid4())
    channel = auction_channel(auction_id)
    async with connect(ws_url) as ws:
        await subscribe_auction(ws, auction_id)
        # One burst: the hub reads it in one go, faster than the connection forwards it.
        async with redis.pipeline(transaction=False) as pipe:
            for n in range(1, 201):
                pipe.publish(channel, auction_message(auction_id, position=n))
            await pipe.execute()
        forwarded = await updates_until_closed(ws)
    assert forwarded < 200
    assert ws.close_code == 4008
    assert ws.close_reason == "too slow: fell behind the live updates"
    assert registry.get_sample_value("verachain_live_subscribers_dropped_total") == 1


async def updates_until_closed(ws: ClientConnection) -> int:
    count = 0
    try:
        while True:
            assert (await receive(ws))["type"] == "auction:update"
            count += 1
    except ConnectionClosed:
        return count


async def test_clients_are_told_when_the_hub_stops(ws_url: str, hub: LiveHub) -> None:
    async with connect(ws_url) as ws:
        await subscribe_auction(ws, str(uuid.uuid4()))
        await hub.stop()
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), RECEIVE_TIMEOUT_S)
    assert ws.close_code == 1001
