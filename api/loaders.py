"""Per-request DataLoaders over the read models: every id a query asks for in one tick is
fetched in one round trip, whatever the nesting (50 auctions with their bids and products
cost three statements and one Redis pipeline, not 150)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from strawberry.dataloader import DataLoader

from api.read_models import ReadModels, Row
from api.response_cache import Dependencies


def _by_id(
    fetch: Callable[[list[str]], Awaitable[dict[str, Any]]], missing: Any = None
) -> Callable[[Sequence[str]], Awaitable[list[Any]]]:
    async def load(keys: Sequence[str]) -> list[Any]:
        found = await fetch(list(keys))
        return [found.get(key, missing) for key in keys]

    return load


class Loaders:
    def __init__(self, read: ReadModels, dependencies: Dependencies | None = None) -> None:
        self.read = read
        # The versions of the rows this request read (api/response_cache.py).
        self.dependencies = dependencies or Dependencies()
        self.product = self._versioned("products")
        self.auction = self._versioned("auctions")
        self.certificate = self._versioned("certificates")
        self.verification = self._versioned("verifications")
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

    def _versioned(self, table: str) -> DataLoader[str, Row | None]:
        """Rows by id, each noted with its version (absent: 0) for the response cache."""

        async def load(keys: Sequence[str]) -> list[Row | None]:
            found = await self.read.rows_by_id(table, list(keys))
            rows = [found.get(key) for key in keys]
            for key, row in zip(keys, rows, strict=True):
                self.dependencies.saw(table, key, row)
            return rows

        return DataLoader(load)

    async def _certificates_of_products(self, keys: Sequence[str]) -> list[list[Row]]:
        # A list no single row version covers (a new certificate leaves the product's row).
        self.dependencies.forbid()
        rows = await self.read.rows_by_parent("certificates", "product_id", list(keys))
        grouped: dict[str, list[Row]] = {key: [] for key in keys}
        for row in rows:
            grouped[str(row["product_id"])].append(row)
        return [grouped[key] for key in keys]
