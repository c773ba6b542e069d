"""The live hub against a real Redis: fan-out, SUBSCRIBE only while wanted, slow
subscribers dropped alone, reconnect after the connection is killed.

Pub/sub channels are server-wide (not per database), so every test uses fresh ids."""

from __future__ import annotations

import asyncio
import functools
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from prometheus_client import CollectorRegistry
from redis.asyncio import Redis

from api.live_hub import LiveHub, SubscriberTooSlow, Subscription
from infra.loopback_process import free_port
from projections.live_model import auction_channel, live_update, product_channel

RECEIVE_TIMEOUT_S = 2.0


def auction_message(auction_id: str, *, amount: str = "125.00", position: int = 1) -> str:
    """A BidPlaced live message, built by the worker's own function."""
    envelope = {
        "aggregate_type": "Auction",
        "aggregate_id": auction_id,
        "aggregate_version": position + 1,
        "type": "BidPlaced",
        "position": position,
        "data": {"bid_id": str(uuid.uuid4()), "bidder_id": "bidder-7", "amount": amount},
    }
    row = {
        "status": "OPEN",
        "currency": "EUR",
        "highest_amount": Decimal(amount),
        "highest_bidder_id": "bidder-7",
        "bid_count": position,
        "ends_at": datetime(2026, 12, 24, 18, 0, tzinfo=UTC),
        "version": position + 1,
        "position": position,
    }
    update = live_update(envelope, row)
    assert update is not None
    assert update.channel == auction_channel(auction_id)
    assert update.message is not None
    return update.message


def verification_messages(product_id: str) -> list[str]:
    """A product's status change and a verification's stage, as the worker publishes them."""
    verification_id = str(uuid.uuid4())
    status = live_update(
        {
            "aggregate_type": "Product",
            "aggregate_id": product_id,
            "aggregate_version": 3,
            "type": "ProductVerificationStatusChanged",
            "position": 11,
            "data": {"status": "PENDING"},
        },
        {"verification_status": "PENDING", "latest_verification_id": verification_id},
    )
    stage = live_update(
        {
            "aggregate_type": "Verification",
            "aggregate_id": verification_id,
            "aggregate_version": 2,
            "type": "AiAssessmentRecorded",
            "position": 12,
            "data": {},
        },
        {
            "product_id": product_id,
            "stage": "AI_ASSESSED",
            "ai_score": Decimal("0.93"),
            "verdict": None,
        },
    )
    messages = []
    for update in (status, stage):
        assert update is not None
        assert update.channel == product_channel(product_id)
        assert update.message is not None
        messages.append(update.message)
    return messages


async def eventually(check: Callable[[], Awaitable[bool]], timeout_s: float = 3.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not await check():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


async def subscribers_in_redis(redis: Redis, channel: str) -> int:
    [(_, count)] = await redis.pubsub_numsub(channel)
    return int(count)


async def receive(subscription: Subscription) -> dict[str, Any]:
    return await asyncio.wait_for(anext(subscription), RECEIVE_TIMEOUT_S)


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
def client_name() -> str:
    return f"live-hub-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
async def hub(
    redis_url: str, registry: CollectorRegistry, client_name: str
) -> AsyncIterator[LiveHub]:
    live_hub = LiveHub(redis_url, registry, queue_size=5, client_name=client_name)
    await live_hub.start()
    try:
        yield live_hub
    finally:
        await live_hub.stop()


def metric(registry: CollectorRegistry, name: str) -> float:
    value = registry.get_sample_value(name)
    assert value is not None, name
    return value


async def test_a_message_reaches_every_subscriber_of_its_channel_and_no_other(
    hub: LiveHub, redis: Redis, registry: CollectorRegistry
) -> None:
    auction_id, other_id = str(uuid.uuid4()), str(uuid.uuid4())
    async with (
        hub.subscribe(auction_channel(auction_id)) as first,
        hub.subscribe(auction_channel(auction_id)) as second,
        hub.subscribe(auction_channel(other_id)) as other,
    ):
        assert metric(registry, "verachain_live_subscribers") == 3
        message = auction_message(auction_id)
        assert await redis.publish(auction_channel(auction_id), message) == 1  # one connection

        assert await receive(first) == json.loads(message)
        assert await receive(second) == json.loads(message)
        marker = auction_message(other_id, position=2)
        await redis.publish(auction_channel(other_id), marker)
        assert await receive(other) == json.loads(marker)  # and not the first auction's
    assert metric(registry, "verachain_live_subscribers") == 0


async def test_one_subscription_receives_its_channels_in_publication_order(
    hub: LiveHub, redis: Redis
) -> None:
    auction_id, product_id = str(uuid.uuid4()), str(uuid.uuid4())
    expected = [auction_message(auction_id), *verification_messages(product_id)]
    async with hub.subscribe(auction_channel(auction_id), product_channel(product_id)) as sub:
        await redis.publish(auction_channel(auction_id), expected[0])
        for message in expected[1:]:
            await redis.publish(product_channel(product_id), message)
        received = [await asyncio.wait_for(sub.receive(), RECEIVE_TIMEOUT_S) for _ in expected]
    assert [(m.channel, m.data) for m in received if m is not None] == [
        (auction_channel(auction_id), json.loads(expected[0])),
        (product_channel(product_id), json.loads(expected[1])),
        (product_channel(product_id), json.loads(expected[2])),
    ]


async def test_redis_subscribes_only_channels_with_subscribers(hub: LiveHub, redis: Redis) -> None:
    auction_id = str(uuid.uuid4())
    channel = auction_channel(auction_id)
    assert await subscribers_in_redis(redis, channel) == 0

    async with hub.subscribe(channel) as first:
        assert await redis.pubsub_channels(f"verachain:auction:{auction_id}*") == [channel.encode()]
        async with hub.subscribe(channel):
            assert await subscribers_in_redis(redis, channel) == 1  # one connection per process
        assert await subscribers_in_redis(redis, channel) == 1  # the first one is still there
        first.remove(channel)
        await eventually(lambda: _no_subscribers(redis, channel))
        await first.add(channel)  # joining again subscribes again
        assert await subscribers_in_redis(redis, channel) == 1
    await eventually(lambda: _no_subscribers(redis, channel))
    assert await redis.pubsub_channels(f"verachain:auction:{auction_id}*") == []


async def _no_subscribers(redis: Redis, channel: str) -> bool:
    return await subscribers_in_redis(redis, channel) == 0


async def test_a_slow_subscriber_is_dropped_while_a_fast_one_gets_everything(
    hub: LiveHub, redis: Redis, registry: CollectorRegistry
) -> None:
    auction_id = str(uuid.uuid4())
    channel = auction_channel(auction_id)
    messages = [auction_message(auction_id, position=n) for n in range(1, 21)]  # queue: 5
    received: list[dict[str, Any]] = []
    async with hub.subscribe(channel) as slow, hub.subscribe(channel) as fast:

        async def consume() -> None:
            async for message in fast:
                received.append(message)

        consumer = asyncio.create_task(consume())
        for count, message in enumerate(messages, start=1):
            await redis.publish(channel, message)
            await eventually(functools.partial(_has, received, count))
        consumer.cancel()
        await asyncio.gather(consumer, return_exceptions=True)

        assert slow.overflowed
        with pytest.raises(SubscriberTooSlow):
            await anext(slow)
    assert received == [json.loads(m) for m in messages]
    assert metric(registry, "verachain_live_subscribers_dropped_total") == 1


async def _has(received: list[dict[str, Any]], count: int) -> bool:
    return len(received) >= count


async def test_subscriptions_survive_a_killed_connection(
    hub: LiveHub, redis: Redis, registry: CollectorRegistry, client_name: str
) -> None:
    auction_id = str(uuid.uuid4())
    channel = auction_channel(auction_id)
    async with hub.subscribe(channel) as subscription:
        before = auction_message(auction_id, position=1)
        await redis.publish(channel, before)
        assert await receive(subscription) == json.loads(before)

        # Only the hub's own connection: other test sessions may share this server.
        [hub_client] = [c for c in await redis.client_list() if c["name"] == client_name]
        assert await redis.client_kill_filter(_id=hub_client["id"]) == 1

        await eventually(lambda: _reconnected(registry))
        await eventually(lambda: _subscribed(redis, channel))
        after = auction_message(auction_id, position=2)
        await redis.publish(channel, after)
        assert await receive(subscription) == json.loads(after)


async def _reconnected(registry: CollectorRegistry) -> bool:
    return registry.get_sample_value("verachain_live_redis_reconnects_total") == 1


async def _subscribed(redis: Redis, channel: str) -> bool:
    return await subscribers_in_redis(redis, channel) == 1


async def test_without_redis_the_hub_starts_keeps_subscriptions_and_stops() -> None:
    hub = LiveHub(f"redis://127.0.0.1:{free_port()}/0", CollectorRegistry(), backoff_max_s=0.1)
    started = time.monotonic()
    await hub.start()
    async with hub.subscribe(auction_channel(str(uuid.uuid4()))) as subscription:
        assert time.monotonic() - started < 1.0  # neither start nor subscribe waits for Redis
        waiting = asyncio.create_task(subscription.receive())
        await hub.stop()
        assert await asyncio.wait_for(waiting, RECEIVE_TIMEOUT_S) is None  # iteration ends


async def test_a_subscription_opened_while_redis_is_away_is_subscribed_on_reconnect(
    redis_url: str, redis: Redis, client_name: str
) -> None:
    registry = CollectorRegistry()
    hub = LiveHub(redis_url, registry, backoff_initial_s=0.5, client_name=client_name)
    await hub.start()
    try:
        [hub_client] = [c for c in await redis.client_list() if c["name"] == client_name]
        await redis.client_kill_filter(_id=hub_client["id"])
        await asyncio.sleep(0.1)  # the hub noticed and waits out its backoff

        auction_id = str(uuid.uuid4())
        channel = auction_channel(auction_id)
        async with hub.subscribe(channel) as subscription:
            assert await subscribers_in_redis(redis, channel) == 0  # not connected yet
            await eventually(lambda: _subscribed(redis, channel))
            message = auction_message(auction_id)
            await redis.publish(channel, message)
            assert await receive(subscription) == json.loads(message)
        assert registry.get_sample_value("verachain_live_redis_reconnects_total") == 1
    finally:
        await hub.stop()
