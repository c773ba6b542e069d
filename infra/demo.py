"""`verachain demo`: realistic traffic through the command layer.

Manufacturers register products, owners ask for verification, the AI and an inspector
decide, certificates are issued (one revoked), auctions open and competing bidders bid
until the auctions end (anti-sniping included), then the auctions are settled."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import UUID

from commands.actor import Actor, Role
from commands.bus import CommandBus
from commands.messages import CloseAuction, OpenAuction, PlaceBid, RevokeCertificate
from commands.store import EventStore
from domain.auction import Auction
from domain.errors import AuctionNotOpen, DomainError, InvalidTransition
from domain.statuses import Verdict
from infra.scenario import INSPECTOR, certified_product

AUCTION_TIMER = Actor.of("auction-timer", Role.SYSTEM)


@dataclass
class DemoReport:
    products: int = 0
    verdicts: Counter[str] = field(default_factory=Counter)
    certificates: int = 0
    revoked: int = 0
    auctions: int = 0
    bids_accepted: int = 0
    bids_refused: Counter[str] = field(default_factory=Counter)
    sold: list[tuple[str, str, Decimal]] = field(default_factory=list)
    unsold: int = 0
    head_position: int = 0


def _verdict_for(index: int) -> Verdict:
    if index % 10 == 7:
        return Verdict.COUNTERFEIT
    if index % 10 == 9:
        return Verdict.INCONCLUSIVE
    return Verdict.AUTHENTIC


async def run_demo(
    bus: CommandBus,
    store: EventStore,
    *,
    products: int,
    auctions: int,
    bidders: int,
    seconds: float,
    progress: Callable[[str, float], None] = lambda _step, _done: None,
) -> DemoReport:
    report = DemoReport()
    run = uuid.uuid4().hex[:6]
    makers = [Actor.of(name, Role.MANUFACTURER) for name in ("acme", "globex", "initech")]
    rng = random.Random(run)

    certified: list[tuple[UUID, UUID, Actor]] = []
    for index in range(products):
        maker = makers[index % len(makers)]
        verdict = _verdict_for(index)
        product_id, certificate_id = await certified_product(
            bus,
            maker,
            sku=f"{maker.id.upper()}-{index % 7:02d}",
            serial=f"SN-{run}-{index:05d}",
            name=f"{maker.id.title()} chronograph #{index}",
            verdict=verdict,
            category="watch",
            manufactured_on=date(2016 + index % 10, 1 + index % 12, 1),
        )
        report.products += 1
        report.verdicts[verdict.value] += 1
        if certificate_id is not None:
            certified.append((product_id, certificate_id, maker))
        progress("products", (index + 1) / max(products, 1))
    report.certificates = len(certified)

    # One certificate is revoked (a recall): that product is never auctioned.
    if len(certified) > auctions:
        _, certificate_id, _ = certified.pop()
        await bus.dispatch(
            RevokeCertificate(certificate_id=certificate_id, reason="manufacturer recall"),
            INSPECTOR,
        )
        report.revoked = 1

    now = datetime.now(UTC)
    opened: list[tuple[UUID, Decimal]] = []
    for product_id, _, maker in certified[:auctions]:
        reserve = Decimal(rng.choice([100, 250, 500]))
        result = await bus.dispatch(
            OpenAuction(
                product_id=product_id,
                reserve_price=reserve,
                min_increment=Decimal("5.00"),
                currency="EUR",
                starts_at=now,
                ends_at=now + timedelta(seconds=seconds),
                extension_window_seconds=3,
                extension_seconds=3,
            ),
            maker,
        )
        opened.append((UUID(result.ids["auctionId"]), reserve))
    report.auctions = len(opened)

    highest: dict[UUID, Decimal] = {}
    people = [Actor.of(f"bidder-{i}", Role.BIDDER) for i in range(bidders)]
    deadline = asyncio.get_running_loop().time() + seconds

    async def bidder(actor: Actor) -> None:
        while opened and asyncio.get_running_loop().time() < deadline:
            auction_id, reserve = rng.choice(opened)
            known = highest.get(auction_id)
            # Bidders see the highest bid they know of; racing bidders sometimes bid too low.
            step = Decimal(rng.choice([0, 5, 5, 10, 25]))
            amount = reserve + step if known is None else known + step
            try:
                await bus.dispatch(PlaceBid(auction_id=auction_id, amount=amount), actor)
                highest[auction_id] = max(amount, highest.get(auction_id, Decimal(0)))
                report.bids_accepted += 1
            except DomainError as e:
                report.bids_refused[e.code] += 1
            await asyncio.sleep(rng.uniform(0.01, 0.2))

    async def clock() -> None:
        while asyncio.get_running_loop().time() < deadline:
            remaining = deadline - asyncio.get_running_loop().time()
            progress("bidding", 1 - max(remaining, 0) / seconds)
            await asyncio.sleep(0.2)

    await asyncio.gather(clock(), *(bidder(p) for p in people))
    progress("bidding", 1.0)

    for auction_id, _ in opened:
        await _settle(bus, store, auction_id, report)
    report.head_position = store.head_position()
    return report


async def _settle(bus: CommandBus, store: EventStore, auction_id: UUID, report: DemoReport) -> None:
    """Close once the (possibly extended) end has passed."""
    while True:
        auction = store.load(auction_id)
        assert isinstance(auction, Auction)
        wait = (auction.ends_at - datetime.now(UTC)).total_seconds()
        if wait > 0:
            await asyncio.sleep(wait + 0.05)
        try:
            await bus.dispatch(CloseAuction(auction_id=auction_id), AUCTION_TIMER)
            break
        except InvalidTransition:
            continue  # extended again by a last-second bid
        except AuctionNotOpen:
            break  # a worker's auction timer closed it first
    closed = store.load(auction_id)
    assert isinstance(closed, Auction)
    if closed.winner_id is not None and closed.highest_amount is not None:
        report.sold.append((str(auction_id)[:8], closed.winner_id, closed.highest_amount))
    else:
        report.unsold += 1
