"""Per-caller request budgets, kept in Redis so that every API process shares them.

The algorithm is GCRA (the generic cell rate algorithm, a token bucket that stores one
number): each key holds the theoretical arrival time (TAT) of the next request. One Lua
script reads the clock, decides and writes, so concurrent requests from many processes can
never both take the last unit of a budget, and the clock is Redis's own, so API hosts with
skewed clocks agree. A key expires when its bucket would be full again: an idle caller
costs no memory, and a missing key means exactly "full budget".
"""

from __future__ import annotations

import ipaddress
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, get_args

import redis.exceptions
from prometheus_client import CollectorRegistry, Counter
from redis.asyncio import Redis

from domain.errors import DomainError
from infra.settings import SettingsError

log = logging.getLogger(__name__)

RateKind = Literal["reads", "mutations", "subscriptions"]
RATE_KINDS: tuple[RateKind, ...] = get_args(RateKind)

DEFAULT_PER_MINUTE: Mapping[RateKind, int] = {
    "reads": 1200,
    "mutations": 600,
    # A dashboard watches every open auction and its product: ~100 subscriptions at once.
    "subscriptions": 600,
}
# The burst a budget allows at once, in seconds of its sustained rate: enough for a page
# that loads a dozen queries together, small enough that a flood is cut off quickly.
BURST_SECONDS = 10

# KEYS[1]: the caller's bucket. ARGV[1]: emission interval (µs per request), ARGV[2]: burst.
# The key holds the TAT in µs of Redis's clock (an integer: doubles are exact up to 2^53,
# and %d keeps tostring's 14 significant digits from rounding it).
# Returns 0 when the request is allowed, else the µs to wait until it would be.
GCRA_SCRIPT = """
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local next_tat = tat + interval
local allowed_at = next_tat - burst * interval
if allowed_at > now then
  return allowed_at - now
end
redis.call('SET', KEYS[1], string.format('%d', next_tat),
           'PX', math.ceil((next_tat - now) / 1000))
return 0
"""


class RateLimited(DomainError):
    """A caller spent its budget; a DomainError so the API's one error table maps it."""

    code = "RATE_LIMITED"

    def __init__(self, retry_after_s: float, kind: RateKind | None = None) -> None:
        what = f" ({kind})" if kind else ""
        shown = math.ceil(retry_after_s * 10) / 10  # rounded up: waiting less is useless
        super().__init__(
            f"too many requests{what}; retry after {shown:.1f} s",
            retry_after_s=retry_after_s,
        )
        self.retry_after_s = retry_after_s
        self.kind = kind


@dataclass(frozen=True)
class RateBudget:
    """Sustained requests per minute (0: unlimited) and how many may come at once."""

    per_minute: int
    burst: int

    def __post_init__(self) -> None:
        if self.per_minute < 0:
            raise ValueError(f"per_minute must be >= 0, got {self.per_minute}")
        if self.per_minute and self.burst < 1:
            raise ValueError(f"burst must be >= 1, got {self.burst}")

    @classmethod
    def per_minute_with_default_burst(cls, per_minute: int) -> RateBudget:
        return cls(per_minute, max(1, math.ceil(per_minute * BURST_SECONDS / 60)))

    @property
    def unlimited(self) -> bool:
        return self.per_minute == 0

    @property
    def interval_us(self) -> int:
        """Microseconds between requests at the sustained rate."""
        return max(1, round(60_000_000 / self.per_minute))


@dataclass(frozen=True)
class RateBudgets:
    """One budget per kind of operation, so a flood of reads cannot starve mutations."""

    reads: RateBudget
    mutations: RateBudget
    subscriptions: RateBudget

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> RateBudgets:
        """`VERACHAIN_RATE_{READS,MUTATIONS,SUBSCRIPTIONS}_PER_MIN`; 0 means unlimited."""

        def budget(kind: RateKind) -> RateBudget:
            return RateBudget.per_minute_with_default_burst(_per_minute(env, kind))

        return cls(budget("reads"), budget("mutations"), budget("subscriptions"))

    def of(self, kind: RateKind) -> RateBudget:
        budget: RateBudget = getattr(self, kind)
        return budget


def _per_minute(env: Mapping[str, str], kind: RateKind) -> int:
    name = f"VERACHAIN_RATE_{kind.upper()}_PER_MIN"
    raw = (env.get(name) or "").strip()
    if not raw:
        return DEFAULT_PER_MINUTE[kind]
    try:
        value = int(raw)
    except ValueError as e:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from e
    if value < 0:
        raise SettingsError(f"{name} must be >= 0 (0: unlimited), got {value}")
    return value


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    retry_after_s: float = 0.0


ALLOWED = RateDecision(allowed=True)


def rate_identity(principal: str | None, ip: str) -> str:
    """The budget's owner: the JWT subject, else the client address. The prefixes keep a
    subject that looks like an address from sharing its budget; IPv6 callers are keyed by
    their /64, since one host usually holds the whole prefix and could rotate through it."""
    if principal:
        return f"sub:{principal}"
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return f"ip:{ip}"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return f"ip:{address.ipv4_mapped}"
        return f"ip:{ipaddress.IPv6Network((address, 64), strict=False)}"
    return f"ip:{address}"


class RateLimiter:
    """Checks and spends one unit of a caller's budget per request."""

    def __init__(
        self,
        redis: Redis,
        budgets: RateBudgets,
        *,
        registry: CollectorRegistry,
        prefix: str = "verachain:rl",
        fail_open: bool = True,
    ) -> None:
        # fail_open: when Redis is unreachable, serve rather than refuse; an outage of the
        # limiter's store should not become an outage of the whole API. Counted and logged.
        self._budgets = budgets
        self._prefix = prefix
        self._fail_open = fail_open
        self._script = redis.register_script(GCRA_SCRIPT)  # computes the SHA; no I/O
        self._failing = False
        self.rejections = Counter(
            "verachain_api_rate_limited",
            "Requests refused by the rate limiter",
            ["kind"],
            registry=registry,
        )
        self.errors = Counter(
            "verachain_api_rate_limiter_errors",
            "Checks that could not reach Redis (answered per fail_open)",
            registry=registry,
        )

    def key(self, kind: RateKind, identity: str) -> str:
        return f"{self._prefix}:{kind}:{identity}"

    async def check(self, kind: RateKind, principal_or_ip: str) -> RateDecision:
        """Spend one request of `kind` from the caller's budget, if there is one left."""
        budget = self._budgets.of(kind)
        if budget.unlimited:
            return ALLOWED
        try:
            wait_us = int(
                await self._script(
                    keys=[self.key(kind, principal_or_ip)],
                    args=[budget.interval_us, budget.burst],
                )
            )
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as e:
            return self._unreachable(e)
        if self._failing:
            log.warning("rate limiter: Redis reachable again")
            self._failing = False
        if wait_us <= 0:
            return ALLOWED
        self.rejections.labels(kind=kind).inc()
        return RateDecision(allowed=False, retry_after_s=wait_us / 1_000_000)

    async def enforce(self, kind: RateKind, principal_or_ip: str) -> None:
        """`check`, raising RateLimited when refused."""
        decision = await self.check(kind, principal_or_ip)
        if not decision.allowed:
            raise RateLimited(decision.retry_after_s, kind)

    def _unreachable(self, error: Exception) -> RateDecision:
        self.errors.inc()
        if not self._failing:  # log the transition, not every request of an outage
            log.warning(
                "rate limiter: Redis unreachable (%s); fail_open=%s", error, self._fail_open
            )
            self._failing = True
        if self._fail_open:
            return ALLOWED
        return RateDecision(allowed=False, retry_after_s=1.0)
