"""CONFLICT: another writer moved the auction on after this API process cached it, and
the API may not retry (VERACHAIN_MAX_CONFLICT_RETRIES=0); with retries it just succeeds."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from commands.actor import Actor, Role
from commands.messages import PlaceBid
from commands.store import EventStore
from domain.auction import Auction
from infra.bootstrap import build_bus, build_event_store
from infra.scenario import OpenedAuction, open_auctions
from tests.integration.api.conftest import api_settings, serving
from tests.support.database import TestDatabase
from tests.support.kafka import KafkaTarget

BID = """mutation($a: ID!, $amount: Decimal!) { placeBid(auctionId: $a, amount: $amount) {
  position } }"""


async def test_a_write_raced_by_another_process_is_a_conflict_without_retries(
    api_database: TestDatabase, redis_url: str, kafka: KafkaTarget, tmp_path: Path
) -> None:
    base = api_settings(api_database, redis_url, kafka, tmp_path)
    store = build_event_store(base)
    try:
        async with build_bus(base, store) as other_writer:
            (auction,) = await open_auctions(
                other_writer, 1, now=datetime.now(UTC), duration=timedelta(hours=1)
            )
            for retries, expected in ((0, "CONFLICT"), (5, None)):
                settings = dataclasses.replace(base, max_conflict_retries=retries)
                async with serving(settings, 0.3) as api:
                    bidder = api.token(f"bo-{retries}", Role.BIDDER)
                    variables = {"a": str(auction.auction_id)}
                    first = await api.graphql(
                        BID, {**variables, "amount": str(await _next(store, auction))}, bidder
                    )
                    assert not first.get("errors"), first  # the API now caches the auction
                    await other_writer.dispatch(  # ...which another process moves on
                        PlaceBid(auction_id=auction.auction_id, amount=await _next(store, auction)),
                        Actor.of("elsewhere", Role.BIDDER),
                    )
                    raced = await api.graphql(
                        BID, {**variables, "amount": str(await _next(store, auction))}, bidder
                    )
                codes = [e["extensions"]["code"] for e in raced.get("errors") or []]
                assert codes == ([expected] if expected else []), raced
    finally:
        store.close()


async def _next(store: EventStore, auction: OpenedAuction) -> Decimal:
    """The auction's minimum next bid, read from the store (not from any cache)."""
    loaded = await asyncio.to_thread(store.load, auction.auction_id)
    assert isinstance(loaded, Auction)
    amount: Decimal = loaded.minimum_next_bid()
    return amount
