"""The Query root: reads only the read models. `minPosition` waits (bounded) until the read
model has applied that position; when the time runs out the answer says so with
`stale: true` in the response's extensions."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from api.audit_queries import AuditQueries
from api.contacts import ContactQueries
from api.graphql_types import Auction, Certificate, Product
from api.ids import parse_id
from api.read_models import Row, encode_cursor, page_size
from api.report_queries import ReportQueries
from domain.errors import ValidationFailed
from domain.statuses import AuctionStatus, VerificationStatus


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class ProductEdge:
    cursor: str
    node: Product


@strawberry.type
class ProductConnection:
    edges: list[ProductEdge]
    page_info: PageInfo

    @strawberry.field
    def nodes(self) -> list[Product]:
        return [edge.node for edge in self.edges]


@strawberry.type
class AuctionEdge:
    cursor: str
    node: Auction


@strawberry.type
class AuctionConnection:
    edges: list[AuctionEdge]
    page_info: PageInfo

    @strawberry.field
    def nodes(self) -> list[Auction]:
        return [edge.node for edge in self.edges]


async def wait_for_position(info: Info[Any, None], min_position: int | None) -> None:
    if min_position is None:
        return
    if min_position < 1:
        raise ValidationFailed("minPosition must be positive")
    services = info.context.services
    if not await services.read.wait_for(min_position, services.min_position_wait_s):
        info.context.stale = True


def _page(rows: list[Row], size: int, order_column: str) -> tuple[list[Row], PageInfo]:
    shown = rows[:size]
    end = encode_cursor(shown[-1][order_column], str(shown[-1]["id"])) if shown else None
    return shown, PageInfo(has_next_page=len(rows) > size, end_cursor=end)


@strawberry.type
class Query(AuditQueries, ContactQueries, ReportQueries):
    @strawberry.field
    async def product(
        self, info: Info[Any, None], id: strawberry.ID, min_position: int | None = None
    ) -> Product | None:
        await wait_for_position(info, min_position)
        row = await info.context.loaders.product.load(parse_id(id))
        return None if row is None else Product.from_row(row)

    @strawberry.field
    async def products(
        self,
        info: Info[Any, None],
        first: int | None = None,
        after: str | None = None,
        verification_status: VerificationStatus | None = None,
        manufacturer: str | None = None,
    ) -> ProductConnection:
        size = page_size(first)
        info.context.loaders.dependencies.forbid()  # a page: no row version covers it
        rows = await info.context.services.read.products_page(
            size,
            after,
            None if verification_status is None else verification_status.value,
            manufacturer,
        )
        shown, page_info = _page(rows, size, "registered_at")
        for row in shown:
            info.context.loaders.product.prime(str(row["id"]), row)
        edges = [
            ProductEdge(
                cursor=encode_cursor(row["registered_at"], str(row["id"])),
                node=Product.from_row(row),
            )
            for row in shown
        ]
        return ProductConnection(edges=edges, page_info=page_info)

    @strawberry.field
    async def auction(
        self, info: Info[Any, None], id: strawberry.ID, min_position: int | None = None
    ) -> Auction | None:
        await wait_for_position(info, min_position)
        row = await info.context.loaders.auction.load(parse_id(id))
        return None if row is None else Auction.from_row(row)

    @strawberry.field
    async def auctions(
        self,
        info: Info[Any, None],
        status: AuctionStatus | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> AuctionConnection:
        size = page_size(first)
        info.context.loaders.dependencies.forbid()  # a page: no row version covers it
        rows = await info.context.services.read.auctions_page(
            size, after, None if status is None else status.value
        )
        shown, page_info = _page(rows, size, "opened_at")
        for row in shown:
            info.context.loaders.auction.prime(str(row["id"]), row)
        edges = [
            AuctionEdge(
                cursor=encode_cursor(row["opened_at"], str(row["id"])), node=Auction.from_row(row)
            )
            for row in shown
        ]
        return AuctionConnection(edges=edges, page_info=page_info)

    @strawberry.field
    async def certificate(
        self, info: Info[Any, None], id: strawberry.ID, min_position: int | None = None
    ) -> Certificate | None:
        await wait_for_position(info, min_position)
        row = await info.context.loaders.certificate.load(parse_id(id))
        return None if row is None else Certificate.from_row(row)
