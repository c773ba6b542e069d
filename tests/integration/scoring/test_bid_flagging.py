"""The bid-anomaly flagger through `verachain worker`: a scripted shill (answers within
seconds by the minimum increment, on one seller's auctions, never wins) is flagged once it
has a history with the seller; ordinary bidding stays unflagged. Event times come from a
scripted clock, so the features are those of a real hour-long auction."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import psycopg

from commands.actor import Actor, Role
from commands.messages import CloseAuction, OpenAuction, PlaceBid
from commands.store import EventStore
from domain.bid_features import AuctionWindow
from domain.statuses import Verdict
from infra.bootstrap import build_bus
from infra.models.scoring import BidScorer
from infra.scenario import certified_product
from tests.integration.jobs.conftest import eventually
from tests.support.database import TestDatabase

RESERVE, INCREMENT, HOUR = Decimal(100), Decimal(5), 3600.0
# (seconds after the start, bidder slot, raise in increments); slot "shill" is the shill.
SCRIPT: list[tuple[int, int | str, int]] = [
    (300, 0, 2),
    (303, "shill", 1),
    (700, 1, 2),
    (703, "shill", 1),
    (1100, 2, 3),
]
PRIOR_AUCTIONS = 3


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def read_rows(url: str, query: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    """Rows of the worker's read model; none while the worker has not made its tables."""
    with psycopg.connect(url) as conn:
        try:
            return conn.execute(query.encode(), params).fetchall()
        except psycopg.errors.UndefinedTable:
            return []


async def test_a_shill_is_flagged_and_ordinary_bids_are_not(
    running_worker: dict[str, str], test_database: TestDatabase, store: EventStore
) -> None:
    url = test_database.url
    run = uuid.uuid4().hex[:6]
    seller = Actor.of(f"seller-{run}", Role.MANUFACTURER)
    shill = Actor.of(f"shill-{run}", Role.BIDDER)
    regulars = [Actor.of(f"{n}-{run}", Role.BIDDER) for n in ("alice", "bob", "carol")]
    newcomers = [Actor.of(f"{n}-{run}", Role.BIDDER) for n in ("dave", "erin", "frank")]
    scorer = BidScorer.load()
    scores: list[tuple[int, str, tuple[int, int], float]] = []
    expected: set[str] = set()  # what the model flags, computed here the agent's way
    final: dict[str, str] = {}  # the last auction's bid id -> bidder
    auctions: list[str] = []
    history: dict[str, tuple[int, int]] = {}  # bidder -> (earlier auctions, wins)
    clock = Clock(datetime.now(UTC).replace(microsecond=0) + timedelta(days=30))
    async with build_bus(test_database.settings(), store, clock=clock) as bus:
        for k in range(PRIOR_AUCTIONS + 1):
            start = clock.now = clock.now + timedelta(hours=2)
            product_id, _ = await certified_product(
                bus, seller, sku="W", serial=f"{run}-{k}", name="Watch", verdict=Verdict.AUTHENTIC
            )
            opened = await bus.dispatch(
                OpenAuction(
                    product_id=product_id,
                    reserve_price=RESERVE,
                    min_increment=INCREMENT,
                    currency="EUR",
                    starts_at=start,
                    ends_at=start + timedelta(seconds=HOUR),
                    extension_window_seconds=0,
                ),
                seller,
            )
            auction_id = opened.ids["auctionId"]
            auctions.append(auction_id)
            window = AuctionWindow(RESERVE, INCREMENT, opened_at=0.0, ends_at=HOUR)
            price = RESERVE - INCREMENT
            cast = regulars if k < PRIOR_AUCTIONS else newcomers
            for at, slot, raise_by in SCRIPT:
                bidder = shill if slot == "shill" else cast[int(slot)]
                price += INCREMENT * raise_by
                clock.now = start + timedelta(seconds=at)
                placed = await bus.dispatch(
                    PlaceBid(auction_id=UUID(auction_id), amount=price), bidder
                )
                prior = history.get(bidder.id, (0, 0))
                score = scorer.score(window.facts(bidder.id, price, float(at), *prior))
                window.apply(bidder.id, price, float(at))
                scores.append((k, bidder.id, prior, round(score.score, 4)))
                if score.flagged:
                    expected.add(placed.ids["bidId"])
                if k == PRIOR_AUCTIONS:
                    final[placed.ids["bidId"]] = bidder.id
            if k == PRIOR_AUCTIONS:
                break
            clock.now = start + timedelta(seconds=HOUR + 1)
            await bus.dispatch(CloseAuction(auction_id=UUID(auction_id)), seller)
            winner = cast[int(SCRIPT[-1][1])].id
            for bidder_id in window.per_bidder:
                seen, won = history.get(bidder_id, (0, 0))
                history[bidder_id] = (seen + 1, won + (bidder_id == winner))

            # The agent reads the bidder-seller history from the read model: let it close.
            async def closed(auction: str = auction_id) -> bool | None:
                rows = read_rows(
                    url, "SELECT status FROM read_model.auctions WHERE id = %s", (auction,)
                )
                return True if rows and rows[0][0] == "CLOSED" else None

            await eventually(closed, f"auction {k} closed in the read model", timeout_s=20)

    shill_answers = [bid for bid, who in final.items() if who == shill.id]
    assert shill_answers[0] in expected  # the script is a shill pattern to the model
    assert not {bid for bid, who in final.items() if who != shill.id} & expected

    flagged_query = (
        "SELECT id::text FROM read_model.bids WHERE auction_id = ANY(%s::uuid[]) AND flagged"
    )

    async def all_flagged() -> set[str] | None:
        rows = read_rows(url, flagged_query, (auctions,))
        found = {str(r[0]) for r in rows}
        return found if found >= expected else None

    flagged = await eventually(all_flagged, "the flagged bids", timeout_s=20)
    extra = read_rows(
        url,
        "SELECT bidder_id, flag_reason FROM read_model.bids WHERE id = ANY(%s::uuid[])",
        (sorted(flagged - expected),),
    )
    assert flagged == expected, (extra, scores)
    rows = read_rows(
        url,
        "SELECT flag_reason, flag_score FROM read_model.bids WHERE id = %s",
        (shill_answers[0],),
    )
    assert rows[0][0].startswith("bid-anomaly score")
    assert rows[0][1] > Decimal(str(scorer.model.card.parameters["threshold"]))
    (count,) = read_rows(
        url, "SELECT flagged_bid_count FROM read_model.auctions WHERE id = %s", (auctions[-1],)
    )
    assert count[0] == len(expected & set(final))
