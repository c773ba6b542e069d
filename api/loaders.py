"""Per-request DataLoaders over the read models: every id a query asks for in one tick is
fetched in one round trip, whatever the nesting (50 auctions with their bids and products
cost three statements and one Redis pipeline, not 150)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from strawberry.dataloader import DataLoader

from api.read_models import ReadModels, Row


def _by_id(
    fetch: Callable[[list[str]], Awaitable[dict[str, Any]]], missing: Any = None
) -> Callable[[Sequence[str]], Awaitable[list[Any]]]:
    async def load(keys: Sequence[str]) -> list[Any]:
        found = await fetch(list(keys))
        return [found.get(key, missing) for key in keys]

    return load


class Loaders:
    def __init__(self, read: ReadModels) -> None:
        self.read = read
        self.product: DataLoader[str, Row | None] = DataLoader(
            _by_id(lambda ids: read.rows_by_id("products", ids))
        )
        self.auction: DataLoader[str, Row | None] = DataLoader(
            _by_id(lambda ids: read.rows_by_id("auctions", ids))
        )
        self.certificate: DataLoader[str, Row | None] = DataLoader(
            _by_id(lambda ids: read.rows_by_id("certificates", ids))
        )
        self.verification: DataLoader[str, Row | None] = DataLoader(
            _by_id(lambda ids: read.rows_by_id("verifications", ids))
        )
        self.live_auction: DataLoader[str, dict[str, str]] = DataLoader(
            _by_id(read.live_auctions, missing={})
        )
        self.certificates_of_product: DataLoader[str, list[Row]] = DataLoader(
            self._certificates_of_products
        )
        self._bids: dict[int, DataLoader[str, list[Row]]] = {}

    def bids(self, first: int) -> DataLoader[str, list[Row]]:
        """One loader per page size: `bids(first: 10)` on 50 auctions is one statement."""
        loader = self._bids.get(first)
        if loader is None:

            async def load(keys: Sequence[str]) -> list[list[Row]]:
                grouped = await self.read.top_bids(list(keys), first)
                return [grouped.get(key, []) for key in keys]

            loader = self._bids[first] = DataLoader(load)
        return loader

    async def _certificates_of_products(self, keys: Sequence[str]) -> list[list[Row]]:
        rows = await self.read.rows_by_parent("certificates", "product_id", list(keys))
        grouped: dict[str, list[Row]] = {key: [] for key in keys}
        for row in rows:
            grouped[str(row["product_id"])].append(row)
        return [grouped[key] for key in keys]
