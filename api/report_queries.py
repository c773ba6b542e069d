"""The reports part of the Query root: the report index (infra/report_index.py), newest
first, for admins and auditors. The files themselves come from GET /reports/{id}.csv|.json
(api/report_routes.py)."""

from __future__ import annotations

import base64
import binascii
import enum
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.types import Info

from api.read_models import page_size
from commands.actor import Role, require_role
from domain.errors import ValidationFailed
from infra.report_index import IndexedReport, ReportIndex
from infra.report_index import ReportFile as IndexedFile

if TYPE_CHECKING:
    from api.queries import PageInfo

READER_ROLES = (Role.ADMIN, Role.AUDITOR)


@strawberry.enum
class ReportKind(enum.Enum):
    AUCTION = "auction"
    DAILY = "daily"


@strawberry.type
class ReportFile:
    format: str = strawberry.field(description="csv or json")
    size: int = strawberry.field(description="bytes")
    sha256: str
    url: str = strawberry.field(description="where to download it (with the same token)")

    @classmethod
    def of(cls, report_id: str, indexed: IndexedFile) -> ReportFile:
        url = f"/reports/{report_id}.{indexed.format}"
        return cls(format=indexed.format, size=indexed.size, sha256=indexed.sha256, url=url)


@strawberry.type
class Report:
    id: strawberry.ID
    kind: ReportKind
    subject: str = strawberry.field(description="the auction's id, or the UTC day (YYYY-MM-DD)")
    as_of_position: int = strawberry.field(
        description="the event store position up to which the report read the history"
    )
    row_count: int = strawberry.field(description="data rows of the CSV")
    created_at: datetime
    csv: ReportFile
    json: ReportFile

    @classmethod
    def of(cls, report: IndexedReport) -> Report:
        assert report.created_at is not None  # rows read from the index have it
        return cls(
            id=strawberry.ID(report.id),
            kind=ReportKind(report.kind),
            subject=report.subject,
            as_of_position=report.as_of_position,
            row_count=report.row_count,
            created_at=report.created_at,
            csv=ReportFile.of(report.id, report.csv),
            json=ReportFile.of(report.id, report.json),
        )


@strawberry.type
class ReportEdge:
    cursor: str
    node: Report


@strawberry.type
class ReportConnection:
    edges: list[ReportEdge]
    # Lazy: api.queries builds the Query root from this module.
    page_info: Annotated[PageInfo, strawberry.lazy("api.queries")]

    @strawberry.field
    def nodes(self) -> list[Report]:
        return [edge.node for edge in self.edges]


def _cursor(report: IndexedReport) -> str:
    assert report.created_at is not None
    text = f"{report.created_at.isoformat()}|{report.id}"
    return base64.urlsafe_b64encode(text.encode()).decode()


def _after(cursor: str) -> tuple[datetime, str]:
    try:
        moment, report_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        return datetime.fromisoformat(moment), report_id
    except (ValueError, binascii.Error, UnicodeDecodeError) as e:
        raise ValidationFailed("after: not a cursor this API issued") from e


@strawberry.type
class ReportQueries:
    @strawberry.field(
        description="Reports written by `report` jobs, newest first (admin, auditor)."
    )  # type: ignore[untyped-decorator]
    async def reports(
        self,
        info: Info[Any, None],
        kind: ReportKind | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> ReportConnection:
        from api.queries import PageInfo  # here: api.queries imports this module

        require_role(info.context.require_actor(), *READER_ROLES, action="listing reports")
        size = page_size(first)
        before = None if after is None else _after(after)
        found = await ReportIndex(info.context.services.pool).newest(
            size + 1, None if kind is None else kind.value, before
        )
        shown = found[:size]
        edges = [ReportEdge(cursor=_cursor(report), node=Report.of(report)) for report in shown]
        page_info = PageInfo(
            has_next_page=len(found) > size, end_cursor=edges[-1].cursor if edges else None
        )
        return ReportConnection(edges=edges, page_info=page_info)
