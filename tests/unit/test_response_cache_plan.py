"""Which requests the response cache may answer, and under which key (api/response_cache.py).
Pure: no connection is made (the pool is never used by plan/keep)."""

from __future__ import annotations

from typing import Any, cast

import pytest

from api.response_cache import Dependencies, ResponseCache
from commands.actor import Actor, Role

AUCTION = "query($id: ID!) { auction(id: $id) { bidCount bids(first: 10) { amount { amount } } } }"
VARIABLES = {"id": "6f1c2a1e-0000-4000-8000-000000000001"}


def cache(size: int = 100) -> ResponseCache:
    return ResponseCache(cast(Any, None), "read_model", size)


@pytest.mark.parametrize(
    "query",
    [
        AUCTION,
        '{ product(id: "x") { name certificates { id } } }',
        'query Named { a: auction(id: "x") { id } b: certificate(id: "y") { id } }',
        '{ auction(id: "x") { ...F } } fragment F on Auction { id bidCount }',
    ],
)
def test_by_id_queries_are_candidates(query: str) -> None:
    assert cache().plan(query, None, None, None) is not None


@pytest.mark.parametrize(
    "query",
    [
        'mutation { closeAuction(auctionId: "x") { position } }',
        "{ auctions(first: 5) { edges { cursor } } }",
        '{ auction(id: "x", minPosition: 7) { id } }',
        '{ auction(id: "x") { id } auctions { edges { cursor } } }',
        '{ ...Roots } fragment Roots on Query { auction(id: "x") { id } }',
        'query A { auction(id: "x") { id } } query B { product(id: "y") { id } }',
        "{ auditCheckpoint { treeSize } }",
        'subscription { auctionUpdates(auctionId: "x") { kind } }',
        "{ auction(id: ",  # a syntax error: strawberry answers it
        "",
    ],
)
def test_everything_else_is_never_kept(query: str) -> None:
    assert cache().plan(query, None, None, None) is None


def test_the_key_tells_variables_operations_and_callers_apart() -> None:
    c = cache()
    anonymous = c.plan(AUCTION, VARIABLES, None, None)
    again = c.plan(AUCTION, dict(VARIABLES), None, None)
    other_id = c.plan(AUCTION, {"id": "6f1c2a1e-0000-4000-8000-000000000002"}, None, None)
    bidder = c.plan(AUCTION, VARIABLES, None, Actor.of("ann", Role.BIDDER))
    admin = c.plan(AUCTION, VARIABLES, None, Actor.of("ann", Role.ADMIN))
    other_bidder = c.plan(AUCTION, VARIABLES, None, Actor.of("bob", Role.BIDDER))

    assert anonymous == again
    keys = {p.key for p in (anonymous, other_id, bidder, admin, other_bidder) if p is not None}
    assert len(keys) == 5


def test_a_cache_of_size_zero_is_off() -> None:
    assert cache(0).plan(AUCTION, VARIABLES, None, None) is None


def test_an_answer_is_kept_only_when_every_read_had_a_version() -> None:
    c = cache()
    plan = c.plan(AUCTION, VARIABLES, None, None)
    assert plan is not None

    nothing_read = Dependencies()
    assert not c.keep(plan, {"auction": None}, nothing_read)

    forbidden = Dependencies()
    forbidden.saw("auctions", "a", {"version": 3})
    forbidden.forbid()
    assert not c.keep(plan, {"auction": {}}, forbidden)

    assert not c.keep(plan, None, Dependencies())
    assert len(c) == 0

    versioned = Dependencies()
    versioned.saw("auctions", "a", {"version": 3})
    versioned.saw("products", "p", None)  # absent: version 0, so its arrival is a change
    assert versioned.rows == {("auctions", "a"): 3, ("products", "p"): 0}
    assert c.keep(plan, {"auction": {"bidCount": 1}}, versioned)
    assert len(c) == 1


def test_a_row_seen_at_two_versions_makes_the_answer_unkeepable() -> None:
    mixed = Dependencies()
    mixed.saw("auctions", "a", {"version": 3})
    mixed.saw("auctions", "a", {"version": 4})
    assert not mixed.cacheable


def test_the_oldest_answers_go_first_beyond_the_size() -> None:
    c = cache(2)
    for n in range(3):
        plan = c.plan(AUCTION, {"id": str(n)}, None, None)
        assert plan is not None
        deps = Dependencies()
        deps.saw("auctions", str(n), {"version": 1})
        c.keep(plan, {"n": n}, deps)
    assert len(c) == 2
