"""An auction closes (by the worker's timer) and its report appears: both files written,
indexed, listed through GraphQL and served by GET /reports/{id}.csv|.json to admins and
auditors only; a damaged file is refused, and re-running the job restores the same bytes."""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from uuid import UUID

from psycopg_pool import AsyncConnectionPool

from commands.actor import Actor, Role
from commands.messages import FlagBid, PlaceBid
from infra.bootstrap import build_bus, build_event_store
from infra.report_index import IndexedReport, ReportIndex
from infra.scenario import open_auctions
from tests.integration.jobs.conftest import eventually
from tests.integration.reports.conftest import index_rows, report_stack
from tests.support.database import TestDatabase
from tests.support.kafka import KafkaTarget

LIST = """
query($kind: ReportKind, $after: String) {
  reports(kind: $kind, first: 10, after: $after) {
    edges { cursor node { id kind subject asOfPosition rowCount createdAt
      csv { format size sha256 url } json { format size sha256 url } } }
    pageInfo { hasNextPage endCursor }
  }
}"""


async def test_a_closed_auctions_report_is_written_indexed_listed_and_served(
    api_database: TestDatabase, redis_url: str, kafka: KafkaTarget, tmp_path: Path
) -> None:
    run = uuid.uuid4().hex[:6]
    alice, bob = (Actor.of(f"{name}-{run}", Role.BIDDER) for name in ("alice", "bob"))
    async with report_stack(api_database, redis_url, kafka, tmp_path) as (stack, api):
        store = build_event_store(stack.settings)
        try:
            async with build_bus(stack.settings, store) as bus:
                (auction,) = await open_auctions(
                    bus,
                    1,
                    now=datetime.now(UTC),
                    duration=timedelta(seconds=3),
                    extension_window=timedelta(0),
                )
                auction_id = auction.auction_id
                await bus.dispatch(PlaceBid(auction_id=auction_id, amount=auction.reserve), alice)
                top = auction.reserve + auction.increment
                placed = await bus.dispatch(PlaceBid(auction_id=auction_id, amount=top), bob)
                await bus.dispatch(
                    FlagBid(
                        auction_id=auction_id,
                        bid_id=UUID(placed.ids["bidId"]),
                        score=Decimal("0.9731"),
                        threshold=Decimal("0.8"),
                        reason="scripted flag",
                        model_name="bid-anomaly",
                        model_version="test",
                        model_sha256="a" * 64,
                    ),
                    Actor.of("bid-scorer", Role.SYSTEM),
                )
        finally:
            store.close()
        report_id = f"report-auction-{auction_id}"

        # Nobody closes it but the worker's auction timer; AuctionClosed asks for the report.
        async with AsyncConnectionPool(api_database.url, min_size=1, max_size=1) as pool:
            index = ReportIndex(pool)

            async def indexed() -> IndexedReport | None:
                return await index.get(report_id)

            report = await eventually(indexed, f"{report_id} ({stack.log_tail()})", 90)

        # Both files, as the index describes them.
        files = {fmt: tmp_path / report.file(fmt).path for fmt in ("csv", "json")}
        assert report.csv.path == f"reports/auction/{report_id}.csv"
        for fmt, path in files.items():
            data = path.read_bytes()
            assert (len(data), hashlib.sha256(data).hexdigest()) == (
                report.file(fmt).size,
                report.file(fmt).sha256,
            )
        document = json.loads(files["json"].read_bytes())
        summary = document["auction"]
        assert (summary["status"], summary["outcome"], summary["winner_id"]) == (
            "CLOSED",
            "SOLD",
            bob.id,
        )
        assert (summary["final_price"], summary["reserve_met"]) == (f"{top:.2f}", True)
        assert [(b["bidder_id"], b["flagged"]) for b in document["bids"]] == [
            (alice.id, False),
            (bob.id, True),
        ]
        assert document["bids"][1]["flag_score"] == "0.9731"
        assert (report.row_count, report.as_of_position) == (2, document["as_of_position"])
        assert files["csv"].read_bytes().count(b"\r\n") == 3  # the header and two bids
        assert not list(files["csv"].parent.glob(".*.tmp"))  # no temporary file left

        # Listed in GraphQL for auditors and admins, newest first; others are refused.
        auditor = api.token(f"auditor-{run}", Role.AUDITOR)
        listed = await api.graphql(LIST, {"kind": "AUCTION"}, token=auditor)
        assert "errors" not in listed, listed
        (edge,) = listed["data"]["reports"]["edges"]
        node = edge["node"]
        assert (node["id"], node["kind"], node["subject"]) == (
            report_id,
            "AUCTION",
            str(auction_id),
        )
        assert (node["rowCount"], node["asOfPosition"]) == (2, report.as_of_position)
        assert node["csv"] == {
            "format": "csv",
            "size": report.csv.size,
            "sha256": report.csv.sha256,
            "url": f"/reports/{report_id}.csv",
        }
        assert listed["data"]["reports"]["pageInfo"] == {
            "hasNextPage": False,
            "endCursor": edge["cursor"],
        }
        after = await api.graphql(LIST, {"after": edge["cursor"]}, token=auditor)
        assert after["data"]["reports"]["edges"] == []
        daily = await api.graphql(LIST, {"kind": "DAILY"}, token=api.token("root", Role.ADMIN))
        assert daily["data"]["reports"]["edges"] == []
        bidder = api.token(alice.id, Role.BIDDER)
        for token, code in ((bidder, "FORBIDDEN"), (None, "UNAUTHENTICATED")):
            refused = await api.graphql(LIST, token=token)
            assert refused["errors"][0]["extensions"]["code"] == code, refused
        bad_cursor = await api.graphql(LIST, {"after": "nope"}, token=auditor)
        assert bad_cursor["errors"][0]["extensions"]["code"] == "VALIDATION_FAILED"

        # Downloads: the very bytes, for the same roles.
        for fmt, media in (("csv", "text/csv"), ("json", "application/json")):
            got = await api.client.get(
                f"{api.url}/reports/{report_id}.{fmt}",
                headers={"Authorization": f"Bearer {auditor}"},
            )
            assert got.status_code == 200, got.text
            assert got.content == files[fmt].read_bytes()
            assert got.headers["content-type"].startswith(media)
            assert got.headers["etag"] == f'"{report.file(fmt).sha256}"'
        url = f"{api.url}/reports/{report_id}.csv"
        forbidden = await api.client.get(url, headers={"Authorization": f"Bearer {bidder}"})
        assert (forbidden.status_code, forbidden.json()["error"]["code"]) == (403, "FORBIDDEN")
        assert (await api.client.get(url)).status_code == 401
        for missing in (f"report-auction-{uuid.uuid4()}", "..%2Fjwt_secret", "nothing"):
            absent = await api.client.get(
                f"{api.url}/reports/{missing}.csv", headers={"Authorization": f"Bearer {auditor}"}
            )
            assert absent.status_code == 404, (missing, absent.text)

        # A damaged file is never served; running the report again restores it exactly.
        original = files["csv"].read_bytes()
        files["csv"].write_bytes(original.replace(b"scripted flag", b"edited flag!!"))
        damaged = await api.client.get(url, headers={"Authorization": f"Bearer {auditor}"})
        assert (damaged.status_code, damaged.json()["error"]["code"]) == (500, "INTERNAL")
        again = await asyncio.to_thread(stack.cli, "run", "--auction", str(auction_id))
        assert again.returncode == 0, again.stderr
        assert f"enqueued report job {report_id}" in again.stdout
        assert "the report exists" in again.stdout

        async def restored() -> bool | None:
            return True if files["csv"].read_bytes() == original else None

        await eventually(restored, "the damaged file to be rebuilt", 60)
        (row,) = await asyncio.to_thread(index_rows, api_database.url, report_id)
        assert (row["csv_sha256"], row["created_at"]) == (report.csv.sha256, report.created_at)

        listing = await asyncio.to_thread(stack.cli, "list", "--kind", "auction")
        assert listing.returncode == 0, listing.stderr
        assert report_id in listing.stdout
