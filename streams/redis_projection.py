"""The live Redis projection: version-guarded updates of the hot read model, and the
live-update message published only when an update was actually applied."""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis

from projections.live_model import TOP_BIDS_KEPT, LiveUpdate

# KEYS[1] hash, KEYS[2] top-bids sorted set ("" when none)
# ARGV[1] version, ARGV[2] channel ("" when none), ARGV[3] message,
# ARGV[4] sorted-set member ("" when none), ARGV[5] its score, ARGV[6] bids kept,
# ARGV[7] mode: "guarded" or "reset", ARGV[8..] field, value, field, value...
# Returns 1 applied, 0 already applied (a redelivery), -1 a gap (an earlier version missing).
APPLY_SCRIPT = """
local current = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
local version = tonumber(ARGV[1])
if ARGV[7] == 'guarded' then
  if version <= current then return 0 end
  if version ~= current + 1 then return -1 end
end
local fields = {}
for i = 8, #ARGV do fields[#fields + 1] = ARGV[i] end
if #fields > 0 then redis.call('HSET', KEYS[1], unpack(fields)) end
redis.call('HSET', KEYS[1], 'version', ARGV[1])
if KEYS[2] ~= '' and ARGV[4] ~= '' then
  redis.call('ZADD', KEYS[2], tonumber(ARGV[5]), ARGV[4])
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -(tonumber(ARGV[6]) + 1))
end
if ARGV[2] ~= '' then redis.call('PUBLISH', ARGV[2], ARGV[3]) end
return 1
"""

APPLIED = 1
DUPLICATE = 0
GAP = -1


class RedisProjection:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._script = redis.register_script(APPLY_SCRIPT)

    async def apply(self, update: LiveUpdate, *, reset: bool = False) -> int:
        """Apply one update atomically; 1 applied, 0 duplicate, -1 gap."""
        keys = [update.key, update.bids_key or ""]
        return int(await self._script(keys=keys, args=_args(update, reset=reset)))

    async def apply_many(self, updates: list[LiveUpdate]) -> list[int]:
        """Apply updates in order, in one round trip (a pipeline of the same script)."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for update in updates:
                await self._script(
                    keys=[update.key, update.bids_key or ""], args=_args(update), client=pipe
                )
            return [int(r) for r in await pipe.execute()]

    async def replace_top_bids(self, bids_key: str, members: list[tuple[str, int]]) -> None:
        """Rewrite an auction's top-bids set (after Redis lost it: it keeps nothing on disk)."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(bids_key)
            if members:
                pipe.zadd(bids_key, dict(members))
            await pipe.execute()


def _args(update: LiveUpdate, *, reset: bool = False) -> list[Any]:
    args: list[Any] = [
        update.version,
        update.channel or "",
        update.message or "",
        update.top_bid[0] if update.top_bid else "",
        update.top_bid[1] if update.top_bid else 0,
        TOP_BIDS_KEPT,
        "reset" if reset else "guarded",
    ]
    for name, value in update.fields.items():
        args.extend((name, value))
    return args
