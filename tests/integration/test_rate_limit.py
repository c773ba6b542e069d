"""The Redis rate limiter against a real Redis: budgets, bursts, separate kinds and callers,
recovery after the advertised wait, unlimited budgets, self-expiring keys."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from prometheus_client import CollectorRegistry
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from api.rate_limit import (
    RateBudget,
    RateBudgets,
    RateKind,
    RateLimited,
    RateLimiter,
    rate_identity,
)
from infra.settings import SettingsError

# 60 a minute is one a second: the tests wait at most about a second.
SMALL = RateBudget(per_minute=60, burst=3)
UNLIMITED = RateBudget(per_minute=0, burst=0)


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
def prefix() -> str:
    return f"test:rl:{uuid.uuid4().hex}"


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


def limiter(
    redis: Redis,
    prefix: str,
    registry: CollectorRegistry,
    *,
    reads: RateBudget = SMALL,
    mutations: RateBudget = SMALL,
    subscriptions: RateBudget = SMALL,
) -> RateLimiter:
    budgets = RateBudgets(reads=reads, mutations=mutations, subscriptions=subscriptions)
    return RateLimiter(redis, budgets, registry=registry, prefix=prefix)


async def spend(rl: RateLimiter, kind: RateKind, who: str, times: int) -> list[bool]:
    return [(await rl.check(kind, who)).allowed for _ in range(times)]


async def test_a_burst_beyond_the_budget_is_refused_with_a_sensible_wait(
    redis: Redis, prefix: str, registry: CollectorRegistry
) -> None:
    rl = limiter(redis, prefix, registry)
    assert await spend(rl, "reads", "sub:alice", 3) == [True, True, True]
    refused = await rl.check("reads", "sub:alice")
    assert not refused.allowed
    # The burst refills at one request a second; a few ms went by since the first.
    assert 0.8 < refused.retry_after_s <= 1.0
    rejections = registry.get_sample_value("verachain_api_rate_limited_total", {"kind": "reads"})
    assert rejections == 1


async def test_after_the_advertised_wait_a_request_is_allowed_again(
    redis: Redis, prefix: str, registry: CollectorRegistry
) -> None:
    rl = limiter(redis, prefix, registry)
    await spend(rl, "mutations", "sub:bob", 3)
    refused = await rl.check("mutations", "sub:bob")
    assert not refused.allowed
    await asyncio.sleep(refused.retry_after_s)
    assert (await rl.check("mutations", "sub:bob")).allowed
    # One request's worth came back, not the whole burst.
    assert not (await rl.check("mutations", "sub:bob")).allowed


async def test_kinds_and_callers_have_budgets_of_their_own(
    redis: Redis, prefix: str, registry: CollectorRegistry
) -> None:
    rl = limiter(redis, prefix, registry)
    assert await spend(rl, "reads", "sub:carol", 4) == [True, True, True, False]
    assert await spend(rl, "mutations", "sub:carol", 3) == [True, True, True]
    assert await spend(rl, "subscriptions", "sub:carol", 3) == [True, True, True]
    assert await spend(rl, "reads", "sub:dave", 3) == [True, True, True]
    assert await spend(rl, "reads", "ip:192.0.2.1", 3) == [True, True, True]


async def test_concurrent_requests_cannot_overspend(
    redis: Redis, prefix: str, registry: CollectorRegistry
) -> None:
    rl = limiter(redis, prefix, registry, reads=RateBudget(per_minute=60, burst=10))
    decisions = await asyncio.gather(*(rl.check("reads", "sub:eve") for _ in range(50)))
    assert sum(d.allowed for d in decisions) == 10


async def test_an_unlimited_budget_never_refuses_and_stores_nothing(
    redis: Redis, prefix: str, registry: CollectorRegistry
) -> None:
    rl = limiter(redis, prefix, registry, subscriptions=UNLIMITED)
    assert all(await spend(rl, "subscriptions", "sub:frank", 500))
    assert await redis.keys(f"{prefix}:*") == []


async def test_keys_expire_once_the_budget_would_be_full_again(
    redis: Redis, prefix: str, registry: CollectorRegistry
) -> None:
    rl = limiter(redis, prefix, registry)
    await spend(rl, "reads", "sub:grace", 2)
    await spend(rl, "mutations", "ip:198.51.100.4", 1)
    keys = sorted(await redis.keys(f"{prefix}:*"))
    assert keys == [
        f"{prefix}:mutations:ip:198.51.100.4".encode(),
        f"{prefix}:reads:sub:grace".encode(),
    ]
    mutations_ttl, reads_ttl = [await redis.pttl(key) for key in keys]
    assert 0 < mutations_ttl <= 1000  # one request spent: full again within a second
    assert 1000 < reads_ttl <= 2000  # two spent


async def test_enforce_raises_rate_limited_with_the_wait(
    redis: Redis, prefix: str, registry: CollectorRegistry
) -> None:
    rl = limiter(redis, prefix, registry)
    for _ in range(3):
        await rl.enforce("reads", "sub:heidi")
    with pytest.raises(RateLimited) as refused:
        await rl.enforce("reads", "sub:heidi")
    assert refused.value.code == "RATE_LIMITED"
    assert 0 < refused.value.retry_after_s <= 1.0


async def test_an_unreachable_redis_lets_requests_through_and_is_counted(
    registry: CollectorRegistry,
) -> None:
    unreachable = Redis(
        host="127.0.0.1", port=1, retry=Retry(NoBackoff(), 0), socket_connect_timeout=0.5
    )
    try:
        rl = limiter(unreachable, "test:rl", registry)
        assert (await rl.check("reads", "sub:ivan")).allowed
        assert registry.get_sample_value("verachain_api_rate_limiter_errors_total") == 1
    finally:
        await unreachable.aclose()


def test_budgets_from_the_environment() -> None:
    defaults = RateBudgets.from_env({})
    assert (defaults.reads.per_minute, defaults.reads.burst) == (1200, 200)
    assert defaults.mutations.per_minute == 600
    assert defaults.subscriptions.per_minute == 600
    configured = RateBudgets.from_env(
        {"VERACHAIN_RATE_READS_PER_MIN": "0", "VERACHAIN_RATE_SUBSCRIPTIONS_PER_MIN": "30"}
    )
    assert configured.reads.unlimited
    assert (configured.subscriptions.per_minute, configured.subscriptions.burst) == (30, 5)
    with pytest.raises(SettingsError, match="VERACHAIN_RATE_MUTATIONS_PER_MIN"):
        RateBudgets.from_env({"VERACHAIN_RATE_MUTATIONS_PER_MIN": "lots"})
    with pytest.raises(SettingsError, match="VERACHAIN_RATE_MUTATIONS_PER_MIN"):
        RateBudgets.from_env({"VERACHAIN_RATE_MUTATIONS_PER_MIN": "-1"})


def test_identities_separate_subjects_from_addresses() -> None:
    assert rate_identity("alice", "192.0.2.1") == "sub:alice"
    assert rate_identity(None, "192.0.2.1") == "ip:192.0.2.1"
    assert rate_identity("192.0.2.1", "192.0.2.9") != rate_identity(None, "192.0.2.1")
    # One IPv6 host holds a whole /64; an IPv4-mapped address is its IPv4 address.
    assert rate_identity(None, "2001:db8::1") == rate_identity(None, "2001:db8::ffff:2")
    assert rate_identity(None, "2001:db8::1") == "ip:2001:db8::/64"
    assert rate_identity(None, "::ffff:192.0.2.1") == "ip:192.0.2.1"
