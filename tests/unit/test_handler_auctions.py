"""The auction handlers and their effects on the product: listing, bidding, settlement of
ownership on close, and unlisting on an unsold close or a cancel."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from uuid import UUID

import pytest

from commands.actor import Role
from commands.messages import (
    CancelAuction,
    CloseAuction,
    PlaceBid,
)
from domain.auction import Auction
from domain.product import Product
from domain.statuses import (
    AuctionStatus,
)
from tests.unit.handler_support import (
    DURING,
    Cast,
    only,
    open_command,
    topics,
)
from tests.unit.support import (
    END,
    SYSTEM,
    World,
    actor,
)


def test_the_owner_opens_an_auction_and_the_product_is_listed() -> None:
    cast = Cast()
    world = World()
    product_id, _ = world.certified(cast.maker, cast.inspector)

    attempt = world.run(open_command(product_id), cast.maker)

    assert topics(attempt.events) == ["AuctionOpened", "ProductListed"]
    assert attempt.outcome is not None
    auction_id = UUID(attempt.outcome.ids["auctionId"])
    assert attempt.outcome.main_aggregate_id == auction_id
    auction = world.get(Auction, auction_id)
    assert auction.seller_id == cast.maker.id
    assert (auction.extension_window_seconds, auction.extension_seconds) == (120, 120)
    assert world.get(Product, product_id).open_auction_id == auction_id


def test_open_auction_passes_custom_anti_sniping_terms() -> None:
    cast = Cast()
    world = World()
    product_id, _ = world.certified(cast.maker, cast.inspector)
    command = open_command(product_id, extension_window_seconds=0, extension_seconds=30)
    outcome = world.run(command, cast.maker).outcome
    assert outcome is not None
    auction = world.get(Auction, UUID(outcome.ids["auctionId"]))
    assert (auction.extension_window_seconds, auction.extension_seconds) == (0, 30)


@pytest.mark.parametrize("who", ["other_maker", "bidder", "admin"])
def test_only_the_owner_opens_an_auction(who: str) -> None:
    cast = Cast()
    world = World()
    product_id, _ = world.certified(cast.maker, cast.inspector)
    error = world.refuse(open_command(product_id), getattr(cast, who))
    assert error.code == "FORBIDDEN"


def test_a_bid_defaults_to_the_auctions_currency() -> None:
    cast = Cast()
    world = World()
    _, auction_id = world.auction_opened(cast.maker, cast.inspector)

    attempt = world.run(PlaceBid(auction_id=auction_id, amount=Decimal("100")), cast.bidder, DURING)

    assert topics(attempt.events) == ["BidPlaced"]
    assert attempt.outcome is not None
    placed = only(attempt.events, Auction.BidPlaced)
    assert placed.currency == "EUR"
    assert attempt.outcome.ids["bidId"] == str(placed.bid_id)
    wrong = PlaceBid(auction_id=auction_id, amount=Decimal("200"), currency="USD")
    assert world.refuse(wrong, cast.bidder2, DURING).code == "VALIDATION_FAILED"


def test_a_seller_who_is_also_a_bidder_cannot_bid_in_their_own_auction() -> None:
    cast = Cast()
    seller = actor(Role.MANUFACTURER, Role.BIDDER)
    world = World()
    _, auction_id = world.auction_opened(seller, cast.inspector)
    error = world.refuse(PlaceBid(auction_id=auction_id, amount=Decimal("500")), seller, DURING)
    assert error.code == "SELF_BIDDING"


def test_closing_after_the_end_settles_ownership_to_the_winner() -> None:
    cast = Cast()
    world = World()
    product_id, auction_id = world.auction_opened(cast.maker, cast.inspector)
    world.run(PlaceBid(auction_id=auction_id, amount=Decimal("100")), cast.bidder, DURING)
    world.run(PlaceBid(auction_id=auction_id, amount=Decimal("150")), cast.bidder2, DURING)

    attempt = world.run(CloseAuction(auction_id=auction_id), SYSTEM, END)

    assert topics(attempt.events) == ["AuctionClosed", "ProductOwnershipTransferred"]
    transferred = only(attempt.events, Product.OwnershipTransferred)
    assert transferred.previous_owner_id == cast.maker.id
    assert transferred.new_owner_id == cast.bidder2.id
    assert (transferred.price, transferred.currency) == (Decimal("150.00"), "EUR")
    product = world.get(Product, product_id)
    assert product.owner_id == cast.bidder2.id
    assert product.open_auction_id is None
    assert world.get(Auction, auction_id).winner_id == cast.bidder2.id
    # The new owner may resell (the certificate stays valid); the old one may not.
    assert world.refuse(open_command(product_id), cast.maker).code == "FORBIDDEN"
    resale = world.run(
        open_command(product_id, ends_at=END + timedelta(hours=1)), cast.bidder2, END
    )
    assert topics(resale.events) == ["AuctionOpened", "ProductListed"]


@pytest.mark.parametrize("closer", ["maker", "admin"])
def test_closing_without_bids_unlists_the_product_unsold(closer: str) -> None:
    cast = Cast()
    world = World()
    product_id, auction_id = world.auction_opened(cast.maker, cast.inspector)

    attempt = world.run(CloseAuction(auction_id=auction_id), getattr(cast, closer), END)

    assert topics(attempt.events) == ["AuctionClosed", "ProductUnlisted"]
    unlisted = only(attempt.events, Product.Unlisted)
    assert unlisted.outcome == "UNSOLD"
    product = world.get(Product, product_id)
    assert product.owner_id == cast.maker.id
    assert product.open_auction_id is None


def test_only_the_seller_an_admin_or_the_system_closes_an_auction() -> None:
    cast = Cast()
    world = World()
    _, auction_id = world.auction_opened(cast.maker, cast.inspector)
    assert world.refuse(CloseAuction(auction_id=auction_id), cast.bidder, END).code == "FORBIDDEN"
    error = world.refuse(CloseAuction(auction_id=auction_id), cast.other_maker, END)
    assert error.code == "FORBIDDEN"


@pytest.mark.parametrize("canceller", ["maker", "admin"])
def test_cancelling_before_the_first_bid_unlists_the_product(canceller: str) -> None:
    cast = Cast()
    world = World()
    product_id, auction_id = world.auction_opened(cast.maker, cast.inspector)

    attempt = world.run(CancelAuction(auction_id=auction_id), getattr(cast, canceller), DURING)

    assert topics(attempt.events) == ["AuctionCancelled", "ProductUnlisted"]
    unlisted = only(attempt.events, Product.Unlisted)
    assert unlisted.outcome == "CANCELLED"
    assert world.get(Auction, auction_id).status is AuctionStatus.CANCELLED
    assert world.get(Product, product_id).open_auction_id is None
    # The product can be put up again.
    assert world.run(open_command(product_id), cast.maker, DURING).events


def test_only_the_seller_or_an_admin_cancels_an_auction() -> None:
    cast = Cast()
    world = World()
    _, auction_id = world.auction_opened(cast.maker, cast.inspector)
    for caller in (cast.bidder, cast.other_maker):
        error = world.refuse(CancelAuction(auction_id=auction_id), caller, DURING)
        assert error.code == "FORBIDDEN"
