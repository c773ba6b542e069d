"""Scores every BidPlaced with the bid_anomaly model and flags those above its threshold.

State: one AuctionWindow per open auction, in memory, fed in order by the agent (one actor
per worker, and Kafka keeps an auction's events in order on its partition). After a restart
or a rebalance the agent starts mid-stream: on the first bid of an auction it has not seen
open, or after a gap in versions, it rebuilds the window from the auction's history in the
event store (versions before the bid), so the features are those of an uninterrupted run.
The bidder-seller history (earlier closed auctions, wins) spans auctions: it is read from
the read model and cached, and an auction's close drops its bidders' entries so they are
read again. It is counted as of the bid (auctions closed before the bid's time), so a
lagging or replaying agent computes the features a prompt one did.

Redelivery: a version already folded is skipped; after a restart the same bid scores
the same and FlagBid answers BidAlreadyFlagged, which counts as done."""

from __future__ import annotations

import json
import logging
from decimal import Decimal
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection, sql
from psycopg_pool import AsyncConnectionPool

from commands.actor import Actor, Role
from commands.bus import CommandBus
from commands.messages import FlagBid
from commands.store import EventStore
from domain.bid_features import BidFacts
from domain.envelope import upcast_envelope
from domain.errors import BidAlreadyFlagged
from infra.models.scoring import BidScore, BidScorer
from projections.sql_schema import LIVE_SCHEMA
from streams.bid_scoring.auction_windows import (
    BID_PLACED,
    ENDED,
    OPENED,
    WatchedAuction,
    epoch_seconds,
    fold,
    opened,
    rebuilt,
)
from streams.history_reader import aggregate_history

log = logging.getLogger(__name__)

BID_SCORER = Actor.of("bid-scorer", Role.SYSTEM)
SCORE_PLACES = Decimal("0.000001")
Pool = AsyncConnectionPool[AsyncConnection[Any]]


class BidFlagger:
    def __init__(
        self,
        store: EventStore,
        pool: Pool,
        bus: CommandBus,
        scorer: BidScorer,
        *,
        schema: str = LIVE_SCHEMA,
    ) -> None:
        self.store = store
        self.pool = pool
        self.bus = bus
        self.scorer = scorer
        self.auctions: dict[str, WatchedAuction] = {}
        # (bidder, seller) -> [(closed at, won)] of the closed auctions they share
        self.history: dict[tuple[str, str], list[tuple[float, bool]]] = {}
        self._history_sql = sql.SQL(
            "SELECT DISTINCT a.id, extract(epoch FROM a.closed_at)::float8, "
            "a.winner_id IS NOT DISTINCT FROM %s "
            "FROM {s}.bids b JOIN {s}.auctions a ON a.id = b.auction_id "
            "WHERE b.bidder_id = %s AND a.seller_id = %s AND a.status = 'CLOSED'"
        ).format(s=sql.Identifier(schema))

    async def handle_batch(self, values: list[bytes]) -> int:
        """Score the batch's bids in order; return how many were flagged."""
        flagged = 0
        for value in values:
            envelope = _envelope(value)
            if envelope is not None:
                flagged += await self.handle(envelope)
        return flagged

    async def handle(self, envelope: dict[str, Any]) -> int:
        auction_id = str(envelope["aggregate_id"])
        version = int(envelope["aggregate_version"])
        kind = envelope["type"]
        watched = self.auctions.get(auction_id)
        if kind == OPENED:
            if watched is None:  # a redelivered opening must not reset a live window
                self.auctions[auction_id] = opened(envelope)
            return 0
        if watched is not None and version <= watched.version:
            return 0  # redelivered: already folded (and scored)
        if kind in ENDED:
            if watched is not None:
                for bidder in watched.window.per_bidder:
                    self.history.pop((bidder, watched.seller_id), None)
            self.auctions.pop(auction_id, None)
            return 0
        if kind != BID_PLACED:
            if watched is not None and version == watched.version + 1:
                fold(watched, envelope)
            return 0  # an unseen auction is rebuilt at its next bid
        if watched is None or version != watched.version + 1:
            watched = await self._rebuild(auction_id, version)
            if watched is None:
                return 0
        data = envelope["data"]
        bidder = str(data["bidder_id"])
        at = epoch_seconds(envelope["occurred_at"])
        prior_auctions, prior_wins = await self._history_of(bidder, watched.seller_id, at)
        facts = watched.window.facts(
            bidder, Decimal(str(data["amount"])), at, prior_auctions, prior_wins
        )
        score = self.scorer.score(facts)
        fold(watched, envelope)
        if not score.flagged:
            return 0
        return await self._flag(UUID(auction_id), UUID(str(data["bid_id"])), score, facts)

    async def _rebuild(self, auction_id: str, version: int) -> WatchedAuction | None:
        history = await aggregate_history(self.store, auction_id, 0, version - 1)
        watched = rebuilt([upcast_envelope(dict(e)) for e in history])
        if watched is None:
            log.warning("auction %s: no opening in its history; bid not scored", auction_id)
            return None
        self.auctions[auction_id] = watched
        return watched

    async def _history_of(self, bidder: str, seller: str, at: float) -> tuple[int, int]:
        key = (bidder, seller)
        if key not in self.history:
            async with self.pool.connection() as conn:
                cursor = await conn.execute(self._history_sql, (bidder, bidder, seller))
                rows = await cursor.fetchall()
            self.history[key] = [(float(r[1]), bool(r[2])) for r in rows if r[1] is not None]
        before = [won for closed_at, won in self.history[key] if closed_at < at]
        return len(before), sum(before)

    async def _flag(self, auction_id: UUID, bid_id: UUID, score: BidScore, facts: BidFacts) -> int:
        command = FlagBid(
            auction_id=auction_id,
            bid_id=bid_id,
            score=Decimal(repr(score.score)).quantize(SCORE_PLACES),
            threshold=Decimal(repr(score.threshold)).quantize(SCORE_PLACES),
            reason=reason_for(score, facts),
            model_name=score.model.name,
            model_version=score.model.version,
            model_sha256=score.model.sha256,
        )
        try:
            await self.bus.dispatch(command, BID_SCORER)
        except BidAlreadyFlagged:
            return 0  # a redelivery after a restart: flagged the first time
        log.info("bid %s of auction %s flagged (score %.4f)", bid_id, auction_id, score.score)
        return 1


def reason_for(score: BidScore, facts: BidFacts) -> str:
    """What a reviewer reads: the score against the threshold, and the telltale facts."""
    base = facts.previous_highest
    raise_by = (
        f"{(facts.amount - base) / facts.min_increment:.1f}x the minimum increment"
        if base is not None and facts.min_increment
        else "the opening bid"
    )
    share = (facts.bidder_bid_count + 1) / (facts.auction_bid_count + 1)
    return (
        f"bid-anomaly score {score.score:.4f} above the model's threshold "
        f"{score.threshold:.4f}: {facts.seconds_since_previous:.1f} s after the previous bid, "
        f"raise of {raise_by}, {share:.0%} of the auction's bids by this bidder, "
        f"{facts.prior_auctions_with_seller} earlier auctions of this seller "
        f"({facts.prior_wins_with_seller} won)"
    )


def _envelope(value: bytes) -> dict[str, Any] | None:
    """The envelope, upcast; None for what is no envelope (the projector dead-letters it)."""
    try:
        envelope = json.loads(value)
    except ValueError:
        return None
    if not isinstance(envelope, dict) or "aggregate_id" not in envelope:
        return None
    return upcast_envelope(envelope)
