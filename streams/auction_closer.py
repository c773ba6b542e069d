"""Closes auctions whose end has passed, as the auction timer (role SYSTEM), so nobody has to.

Run by a Faust timer on the projection group's leader (one closer however many workers).
It reads the due auctions from the SQL read model and sends CloseAuction through a command
bus; the aggregate decides: an auction extended since the read model last saw it (anti-
sniping) or closed meanwhile refuses, which is expected and only logged at debug. Closing
twice is therefore harmless, and a tick that fails is simply repeated by the next one."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection, sql
from psycopg_pool import AsyncConnectionPool

from commands.actor import Actor, Role
from commands.bus import CommandBus
from commands.messages import CloseAuction
from domain.errors import AuctionNotOpen, InvalidTransition
from infra.bootstrap import NotConfigured, build_bus, build_event_store
from infra.settings import Settings
from projections.sql_schema import LIVE_SCHEMA

log = logging.getLogger(__name__)

TIMER = Actor.of("auction-timer", Role.SYSTEM)
TICK_S = 0.5  # with the read model's lag, an auction closes well within 2 s of its end
MAX_PER_TICK = 500


class AuctionCloser:
    def __init__(
        self,
        bus: CommandBus,
        pool: AsyncConnectionPool[AsyncConnection[Any]],
        *,
        schema: str = LIVE_SCHEMA,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.bus = bus
        self.pool = pool
        self.clock = clock
        self._due = sql.SQL(
            "SELECT id FROM {}.auctions WHERE status = 'OPEN' AND ends_at <= %s "
            "ORDER BY ends_at LIMIT %s"
        ).format(sql.Identifier(schema))

    async def due(self) -> list[UUID]:
        async with self.pool.connection() as conn:
            cursor = await conn.execute(self._due, (self.clock(), MAX_PER_TICK))
            return [row[0] for row in await cursor.fetchall()]

    async def tick(self) -> int:
        """Close every due auction; returns how many this tick closed."""
        due = await self.due()
        if not due:
            return 0
        outcomes = await asyncio.gather(*(self._close(a) for a in due))
        return sum(outcomes)

    async def _close(self, auction_id: UUID) -> bool:
        try:
            await self.bus.dispatch(CloseAuction(auction_id=auction_id), TIMER)
        except (AuctionNotOpen, InvalidTransition) as e:
            # Closed meanwhile, or extended past what the read model shows: not due.
            log.debug("auction %s not closed: %s", auction_id, e)
            return False
        except Exception:
            log.warning(
                "closing auction %s failed; the next tick retries", auction_id, exc_info=True
            )
            return False
        return True


@contextlib.asynccontextmanager
async def auction_closer(settings: Settings) -> AsyncIterator[AuctionCloser]:
    """A closer with its own pool, store and command bus (a worker is a command process
    too: optimistic concurrency keeps it correct beside the API's buses)."""
    if not settings.database_url:
        raise NotConfigured("VERACHAIN_DATABASE_URL is not set")
    store = build_event_store(settings)
    pool: AsyncConnectionPool[AsyncConnection[Any]] = AsyncConnectionPool(
        settings.database_url, min_size=1, max_size=2, open=False
    )
    await pool.open()
    try:
        async with build_bus(settings, store) as bus:
            yield AuctionCloser(bus, pool)
    finally:
        await pool.close()
        store.close()


async def run_closer(settings: Settings, is_leader: Callable[[], bool]) -> None:
    """Tick forever (until cancelled) while this process leads its group."""
    async with auction_closer(settings) as closer:
        while True:
            await asyncio.sleep(TICK_S)
            if not is_leader():
                continue
            try:
                closed = await closer.tick()
            except Exception:
                log.warning("auction timer tick failed; retrying", exc_info=True)
                continue
            if closed:
                log.info("auction timer closed %d auction(s)", closed)
