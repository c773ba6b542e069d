"""The Subscription root: live auction and verification updates, fed by the process's one
Redis pub/sub connection (api/live_hub.py). The messages are the workers' live updates,
published only for changes actually applied to the read model."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry
from graphql.error import GraphQLError
from strawberry.types import Info

from api.graphql_types import Money
from api.ids import parse_id
from api.live_hub import SubscriberTooSlow
from api.ws_endpoint import TOO_SLOW_REASON
from projections.live_model import auction_channel, product_channel


@strawberry.type
class AuctionUpdate:
    auction_id: strawberry.ID
    kind: str  # BID_PLACED | EXTENDED | CLOSED | CANCELLED
    amount: Money | None
    bidder_id: str | None
    ends_at: datetime
    status: str
    bid_count: int
    position: int

    @classmethod
    def from_message(cls, message: dict[str, Any]) -> AuctionUpdate:
        amount = message.get("amount")
        return cls(
            auction_id=strawberry.ID(message["auctionId"]),
            kind=message["kind"],
            amount=None
            if amount is None
            else Money(amount=Decimal(amount["amount"]), currency=amount["currency"]),
            bidder_id=message.get("bidderId"),
            ends_at=datetime.fromisoformat(message["endsAt"]),
            status=message["status"],
            bid_count=int(message["bidCount"]),
            position=int(message["position"]),
        )


@strawberry.type
class VerificationUpdate:
    product_id: strawberry.ID
    verification_id: strawberry.ID | None
    status: str | None  # the product's verification status, when it changed
    stage: str | None  # the verification's stage, when it moved
    ai_score: Decimal | None
    verdict: str | None
    position: int

    @classmethod
    def from_message(cls, message: dict[str, Any]) -> VerificationUpdate:
        verification_id = message.get("verificationId")
        score = message.get("aiScore")
        return cls(
            product_id=strawberry.ID(message["productId"]),
            verification_id=None if verification_id is None else strawberry.ID(verification_id),
            status=message.get("status"),
            stage=message.get("stage"),
            ai_score=None if score is None else Decimal(score),
            verdict=message.get("verdict"),
            position=int(message["position"]),
        )


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def auction_updates(
        self, info: Info[Any, None], auction_id: strawberry.ID
    ) -> AsyncGenerator[AuctionUpdate, None]:
        channel = auction_channel(parse_id(auction_id, "auctionId"))
        async for message in _live(info, channel):
            yield AuctionUpdate.from_message(message)

    @strawberry.subscription
    async def verification_updates(
        self, info: Info[Any, None], product_id: strawberry.ID
    ) -> AsyncGenerator[VerificationUpdate, None]:
        channel = product_channel(parse_id(product_id, "productId"))
        async for message in _live(info, channel):
            yield VerificationUpdate.from_message(message)


async def _live(info: Info[Any, None], channel: str) -> AsyncGenerator[dict[str, Any], None]:
    """The channel's messages; a subscriber too slow to keep up is ended with a clear error
    (its queue is bounded: it must never hold the others back)."""
    hub = info.context.services.hub
    try:
        async with hub.subscribe(channel) as updates:
            async for message in updates:
                yield message
    except SubscriberTooSlow as e:
        raise GraphQLError(TOO_SLOW_REASON, extensions={"code": "RATE_LIMITED"}) from e
