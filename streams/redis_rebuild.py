"""Rebuilding the Redis read model under a temporary prefix and swapping it in.

Every key is written as `<prefix>-rebuild:...`, then one MULTI/EXEC renames them all to
their live names and deletes live keys of aggregates the store does not have, so a reader
sees either the old model or the new one, never a mix."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from redis import Redis
from redis.typing import EncodableT, FieldT

from projections.fold import LiveState
from projections.live_model import PREFIX

PIPELINE_KEYS = 1_000  # aggregates per pipeline round trip

# A write that wins unless the live key already holds a later version; it replaces the
# whole hash and top-bids set. For catching up after a swap made without the live tables'
# lock (see RedisRebuild.write_guarded). KEYS[1] hash, KEYS[2] top bids ("" for none);
# ARGV[1] version, ARGV[2] number of hash fields n, then n field/value pairs, then
# score/member pairs. Returns 1 written, 0 skipped.
GUARDED_REPLACE = """
local have = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
if have > tonumber(ARGV[1]) then return 0 end
local n = tonumber(ARGV[2])
local fields = {}
for i = 3, 2 + 2 * n do fields[#fields + 1] = ARGV[i] end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(fields))
if KEYS[2] ~= '' then
  redis.call('DEL', KEYS[2])
  local members = {}
  for i = 3 + 2 * n, #ARGV do members[#members + 1] = ARGV[i] end
  if #members > 0 then redis.call('ZADD', KEYS[2], unpack(members)) end
end
return 1
"""


def temporary_prefix(prefix: str = PREFIX) -> str:
    return f"{prefix}-rebuild"


def live_key_pattern(prefix: str) -> re.Pattern[str]:
    """The names of the keys the Redis read model owns (others under the prefix are left
    alone): auction, auction top bids, product and verification keys."""
    uuid = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    return re.compile(
        rf"^{re.escape(prefix)}:(?:auction:{uuid}(?::bids)?|product:{uuid}|verification:{uuid})$"
    )


def read_model_keys(client: Redis, prefix: str) -> Iterator[str]:
    """Every key of the Redis read model under `prefix` (SCAN, so Redis is never blocked)."""
    pattern = live_key_pattern(prefix)
    for raw in client.scan_iter(match=f"{prefix}:*", count=1_000):
        key = raw.decode() if isinstance(raw, bytes) else str(raw)
        if pattern.match(key):
            yield key


class RedisRebuild:
    def __init__(self, client: Redis, prefix: str = PREFIX) -> None:
        self.client = client
        self.prefix = prefix
        self.temporary = temporary_prefix(prefix)
        # live key -> its temporary key, for every key written (hash and top-bids sets);
        # top-bids keys of auctions without bids map to None (the live one is deleted).
        self._renames: dict[str, str | None] = {}
        self._live_keys: list[str] = []
        self._guarded = client.register_script(GUARDED_REPLACE)

    def clear_temporary(self) -> int:
        """Delete what a crashed rebuild left under the temporary prefix."""
        keys = list(read_model_keys(self.client, self.temporary))
        for start in range(0, len(keys), PIPELINE_KEYS):
            self.client.unlink(*keys[start : start + PIPELINE_KEYS])
        return len(keys)

    def write_temporary(self, states: Iterable[LiveState]) -> int:
        """Write (or rewrite) each aggregate's keys under the temporary prefix."""
        written = 0
        pipe = self.client.pipeline(transaction=False)
        for state in states:
            key = state.key(self.temporary)
            pipe.delete(key)
            pipe.hset(key, mapping=_encodable(state.fields))
            self._renames[state.key(self.prefix)] = key
            live_bids = state.bids_key(self.prefix)
            bids = state.bids_key(self.temporary)
            if live_bids is not None and bids is not None:
                pipe.delete(bids)
                if state.top_bids:
                    pipe.zadd(bids, dict(state.top_bids))
                self._renames[live_bids] = bids if state.top_bids else None
            written += 1
            if written % PIPELINE_KEYS == 0:
                pipe.execute()
        pipe.execute()
        return written

    def list_live_keys(self) -> int:
        """Note the live keys there are now, before the swap, so that it does not scan Redis
        while the live tables are locked. A key that appears later belongs to an aggregate
        the store has, which the rebuilt model has too (the catch-up reaches it)."""
        self._live_keys = list(read_model_keys(self.client, self.prefix))
        return len(self._live_keys)

    def swap(self) -> int:
        """Atomically (MULTI/EXEC) rename every temporary key to its live name and delete
        the live keys (as listed by list_live_keys) of aggregates the rebuilt model does not
        have. Returns how many were deleted."""
        stale = [key for key in self._live_keys if key not in self._renames]
        pipe = self.client.pipeline(transaction=True)
        for live, temporary in self._renames.items():
            if temporary is None:
                pipe.delete(live)
            else:
                pipe.rename(temporary, live)
        for start in range(0, len(stale), PIPELINE_KEYS):
            pipe.delete(*stale[start : start + PIPELINE_KEYS])
        pipe.execute()
        self._renames.clear()
        self._live_keys = []
        return len(stale)

    def write_guarded(self, states: Iterable[LiveState]) -> int:
        """Write states straight to the live keys unless a key already holds a later
        version. Returns how many were written."""
        written = 0
        for state in states:
            args: list[Any] = [state.version, len(state.fields)]
            for name, value in state.fields.items():
                args.extend((name, value))
            for member, score in state.top_bids.items():
                args.extend((score, member))
            keys = [state.key(self.prefix), state.bids_key(self.prefix) or ""]
            written += int(self._guarded(keys=keys, args=args))
        return written


def _encodable(fields: dict[str, str]) -> dict[FieldT, EncodableT]:
    encodable: dict[FieldT, EncodableT] = {}
    encodable.update(fields)
    return encodable
