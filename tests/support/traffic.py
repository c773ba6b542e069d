"""Bids through the command bus and the settings of the stream processes, for the relay
and worker tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from commands.actor import Actor, Role
from commands.bus import CommandBus
from commands.messages import PlaceBid
from infra.bootstrap import build_bus, build_event_store
from infra.scenario import OpenedAuction, open_auctions
from infra.settings import Settings
from tests.support.database import TestDatabase


async def drive_traffic(bus: CommandBus, auctions: int = 6, bids: int = 60) -> list[OpenedAuction]:
    """Open `auctions` auctions, then place `bids` valid bids round-robin over them."""
    opened = await open_auctions(bus, auctions, now=datetime.now(UTC), duration=timedelta(hours=1))
    bidders = [Actor.of(f"traffic-bidder-{i}", Role.BIDDER) for i in range(4)]
    for i in range(bids):
        auction = opened[i % len(opened)]
        amount = auction.reserve + Decimal(i // len(opened)) * auction.increment
        await bus.dispatch(PlaceBid(auction_id=auction.auction_id, amount=amount), bidders[i % 4])
    return opened


def stream_settings(
    database: TestDatabase, bootstrap: str, *, embedded: bool, **overrides: object
) -> Settings:
    """Settings of a relay (or worker) on this database and broker, without a metrics port."""
    return database.settings(relay_metrics_port=0, **overrides).with_kafka(
        bootstrap, embedded=embedded
    )


async def one_open_auction(settings: Settings) -> OpenedAuction:
    """One certified product's auction, open for an hour, through a bus of its own."""
    store = build_event_store(settings)
    try:
        async with build_bus(settings, store) as bus:
            (opened,) = await open_auctions(
                bus, 1, now=datetime.now(UTC), duration=timedelta(hours=1)
            )
    finally:
        store.close()
    return opened
