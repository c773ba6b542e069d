"""A flagged bid and the AI assessment's findings survive `projections rebuild`, and
`projections check` finds the rebuilt read model equal to the store."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from uuid import UUID

from redis import Redis

from commands.actor import Actor, Role
from commands.bus import CommandBus
from commands.messages import FlagBid
from commands.store import EventStore
from domain.auction import Auction
from infra.settings import Settings
from tests.integration.rebuild.support import check, rebuild, sql_value, traffic
from tests.support.database import TestDatabase

SCORER = Actor.of("rebuild-bid-scorer", Role.SYSTEM)


async def test_flags_are_rebuilt_and_checked(
    own_database: TestDatabase, settings: Settings, store: EventStore, bus: CommandBus, redis: Redis
) -> None:
    bidding = await traffic(bus, auctions=2, rounds=2)
    auction = bidding.auctions[0]
    first_bid = one_bid_of(store, auction.auction_id)
    await bus.dispatch(
        FlagBid(
            auction_id=auction.auction_id,
            bid_id=first_bid,
            score=Decimal("0.97"),
            threshold=Decimal("0.5"),
            reason="scripted shill pattern",
            model_name="bid-anomaly",
            model_version="1.0.0",
            model_sha256="e" * 64,
        ),
        SCORER,
    )

    await asyncio.to_thread(rebuild, settings, store, redis)

    assert (await asyncio.to_thread(check, settings, store, redis)).differences == ()
    flagged = sql_value(
        own_database,
        "SELECT array[flagged::text, flag_score::text, flag_reason]"
        " FROM read_model.bids WHERE id = %s",
        first_bid,
    )
    assert flagged == ["true", "0.97", "scripted shill pattern"]
    count = sql_value(
        own_database,
        "SELECT flagged_bid_count FROM read_model.auctions WHERE id = %s",
        auction.auction_id,
    )
    assert count == 1
    unflagged = sql_value(
        own_database,
        "SELECT count(*) FROM read_model.bids WHERE NOT flagged AND id <> %s",
        first_bid,
    )
    assert unflagged == 3
    models = sql_value(
        own_database,
        "SELECT ai_models FROM read_model.verifications WHERE product_id = %s",
        auction.product_id,
    )
    assert isinstance(models, str)
    assert '"name":' in models


def one_bid_of(store: EventStore, auction_id: UUID) -> UUID:
    """One of the auction's bids, as the aggregate knows them (no read model is built yet)."""
    loaded = store.load(auction_id)
    assert isinstance(loaded, Auction)
    return min(loaded.bid_ids)
