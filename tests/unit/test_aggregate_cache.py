"""The bus's aggregate cache: bounded, least recently used out first, copies are independent."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from commands.aggregate_cache import AggregateCache, working_copy
from domain.product import Product
from domain.provenance import Provenance
from domain.statuses import VerificationStatus


def product(serial: str) -> Product:
    prov = Provenance("acme", datetime(2026, 1, 1, tzinfo=UTC), uuid.uuid4(), uuid.uuid4())
    created = Product.register(
        sku="S", serial_number=serial, name="N", manufacturer="Acme", prov=prov
    )
    created.collect_events()
    return created


def test_the_cache_never_holds_more_than_its_limit_and_drops_the_least_recently_used() -> None:
    cache = AggregateCache(maxsize=3)
    a, b, c, d = (product(s) for s in "abcd")
    for item in (a, b, c):
        cache.put(item)
    assert cache.get(a.id) is a  # a is now the most recently used
    cache.put(d)
    assert len(cache) == 3
    assert cache.get(b.id) is None
    assert {cache.get(x.id) is x for x in (a, c, d)} == {True}


def test_a_zero_sized_cache_keeps_nothing_and_a_negative_one_is_refused() -> None:
    cache = AggregateCache(maxsize=0)
    item = product("x")
    cache.put(item)
    assert cache.get(item.id) is None
    with pytest.raises(ValueError, match="negative"):
        AggregateCache(maxsize=-1)


def test_a_working_copy_changes_without_touching_the_cached_original() -> None:
    original = product("y")
    prov = Provenance("acme", datetime(2026, 1, 2, tzinfo=UTC), uuid.uuid4(), uuid.uuid4())
    copy = working_copy(original)
    copy.start_verification(uuid.uuid4(), prov)
    assert copy.verification_status == VerificationStatus.PENDING
    assert copy.version == original.version + 1
    assert original.verification_status == VerificationStatus.UNVERIFIED
    assert original.pending_events == []
    assert len(copy.pending_events) == 1


def test_evicting_and_clearing() -> None:
    cache = AggregateCache(maxsize=10)
    items = [product(str(i)) for i in range(4)]
    for item in items:
        cache.put(item)
    cache.evict([items[0].id, uuid.uuid4()])
    assert cache.get(items[0].id) is None
    assert len(cache) == 3
    cache.clear()
    assert len(cache) == 0
