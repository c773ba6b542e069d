"""A daily report through `verachain worker`: a past day's events (written with a scripted
clock, with events of the days around it) are tallied; running the job twice makes one
report (the second run writes nothing); a job run after its file was lost rebuilds the
history it first read, so an event recorded later for that day does not change it."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from uuid import UUID

from commands.actor import Actor, Role
from commands.bus import CommandBus
from commands.messages import (
    CloseAuction,
    FlagBid,
    OpenAuction,
    PlaceBid,
    RegisterProduct,
    RevokeCertificate,
)
from domain.statuses import Verdict
from infra.bootstrap import build_bus, build_event_store
from infra.scenario import INSPECTOR, certified_product
from streams.jobs.job_queue import JobQueue
from streams.jobs.job_topics import REPORT
from tests.integration.api.conftest import api_settings
from tests.integration.jobs.conftest import eventually
from tests.integration.reports.conftest import index_rows, report_stack
from tests.support.database import TestDatabase
from tests.support.kafka import KafkaTarget


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def a_day_of_trading(bus: CommandBus, clock: Clock, start: datetime, run: str) -> None:
    """On the day: 3 products registered and verified (2 authentic, 1 counterfeit), 2
    certificates issued and 1 revoked, 1 auction sold for 125.50 EUR after 2 bids, 1 of
    them flagged. One product registered the minute before the day, one just after it."""
    maker = Actor.of(f"maker-{run}", Role.MANUFACTURER)
    alice, bob = (Actor.of(f"{name}-{run}", Role.BIDDER) for name in ("alice", "bob"))

    def product(serial: str) -> RegisterProduct:
        return RegisterProduct(sku="W", serial_number=serial, name="Watch", manufacturer=maker.id)

    clock.now = start - timedelta(minutes=1)
    await bus.dispatch(product(f"{run}-before"), maker)
    clock.now = start + timedelta(hours=9)
    sold, _ = await certified_product(
        bus, maker, sku="W", serial=f"{run}-1", name="Watch", verdict=Verdict.AUTHENTIC
    )
    await certified_product(
        bus, maker, sku="W", serial=f"{run}-2", name="Watch", verdict=Verdict.COUNTERFEIT
    )
    _, revoked = await certified_product(
        bus, maker, sku="W", serial=f"{run}-3", name="Watch", verdict=Verdict.AUTHENTIC
    )
    assert revoked is not None
    await bus.dispatch(RevokeCertificate(certificate_id=revoked, reason="recalled"), INSPECTOR)
    opened = await bus.dispatch(
        OpenAuction(
            product_id=sold,
            reserve_price=Decimal("100.00"),
            min_increment=Decimal("5.00"),
            currency="EUR",
            starts_at=clock.now,
            ends_at=clock.now + timedelta(hours=1),
            extension_window_seconds=0,
        ),
        maker,
    )
    auction_id = UUID(opened.ids["auctionId"])
    clock.now += timedelta(minutes=10)
    first = await bus.dispatch(PlaceBid(auction_id=auction_id, amount=Decimal(100)), alice)
    clock.now += timedelta(minutes=10)
    await bus.dispatch(PlaceBid(auction_id=auction_id, amount=Decimal("125.50")), bob)
    await bus.dispatch(
        FlagBid(
            auction_id=auction_id,
            bid_id=UUID(first.ids["bidId"]),
            score=Decimal("0.91"),
            threshold=Decimal("0.8"),
            reason="scripted flag",
            model_name="bid-anomaly",
            model_version="test",
            model_sha256="b" * 64,
        ),
        Actor.of("bid-scorer", Role.SYSTEM),
    )
    clock.now += timedelta(hours=1)
    await bus.dispatch(CloseAuction(auction_id=auction_id), maker)
    clock.now = start + timedelta(days=1, seconds=30)
    await bus.dispatch(product(f"{run}-after"), maker)


async def test_a_daily_report_job_run_twice_makes_one_report_of_the_day_as_first_read(
    api_database: TestDatabase, redis_url: str, kafka: KafkaTarget, tmp_path: Path
) -> None:
    run = uuid.uuid4().hex[:6]
    day = (datetime.now(UTC) - timedelta(days=2)).date()
    start = datetime.combine(day, time(), tzinfo=UTC)
    report_id = f"report-daily-{day.isoformat()}"
    clock = Clock(start)
    settings = api_settings(api_database, redis_url, kafka, tmp_path)
    store = build_event_store(settings)
    try:
        async with build_bus(settings, store, clock=clock) as bus:
            await a_day_of_trading(bus, clock, start, run)
            async with report_stack(api_database, redis_url, kafka, tmp_path) as (stack, _):
                ran = await asyncio.to_thread(stack.cli, "run", "--day", day.isoformat())
                assert ran.returncode == 0, ran.stderr
                assert f"enqueued report job {report_id}" in ran.stdout

                async def indexed() -> dict[str, object] | None:
                    rows = await asyncio.to_thread(index_rows, api_database.url, report_id)
                    return rows[0] if rows else None

                first = await eventually(indexed, f"{report_id} ({stack.log_tail()})", 90)
                json_path = tmp_path / str(first["json_path"])
                csv_path = tmp_path / str(first["csv_path"])
                written = json_path.read_bytes()
                document = json.loads(written)
                assert document["products_registered"] == 3
                assert document["verifications"] == {
                    "reaching_stage": {"AWAITING_AI": 3, "AWAITING_INSPECTION": 3, "CONCLUDED": 3},
                    "verdicts": {"AUTHENTIC": 2, "COUNTERFEIT": 1, "INCONCLUSIVE": 0},
                }
                assert document["certificates"] == {"issued": 2, "revoked": 1}
                assert document["auctions"] == {
                    "opened": 1,
                    "closed": {"SOLD": 1, "NOT_SOLD": 0},
                    "cancelled": 0,
                }
                assert document["bids"] == {"placed": 2, "flagged": 1}
                assert document["sales"] == {"EUR": {"count": 1, "turnover": "125.50"}}
                assert document["flagged_bids"][0]["reason"] == "scripted flag"
                assert b"turnover,EUR,125.50\r\n" in csv_path.read_bytes()
                stamps = {path: path.stat().st_mtime_ns for path in (json_path, csv_path)}

                # The second run finds the report and writes nothing.
                again = await asyncio.to_thread(stack.cli, "run", "--day", day.isoformat())
                assert again.returncode == 0, again.stderr
                assert "the report exists" in again.stdout
                await stack.drained()
                assert await asyncio.to_thread(index_rows, api_database.url, report_id) == [first]
                assert {path: path.stat().st_mtime_ns for path in stamps} == stamps

                # An event of that day recorded late, and a lost file: the job (enqueued as
                # the scheduler does) rebuilds the history the report first read.
                clock.now = start + timedelta(hours=12)
                await bus.dispatch(
                    RegisterProduct(
                        sku="W", serial_number=f"{run}-late", name="Watch", manufacturer="m"
                    ),
                    Actor.of("m", Role.MANUFACTURER),
                )
                json_path.unlink()
                async with JobQueue(stack.settings) as queue:
                    payload = {"report": "daily", "day": day.isoformat()}
                    await queue.enqueue(REPORT, payload, job_id=report_id)

                async def rebuilt() -> bytes | None:
                    return json_path.read_bytes() if json_path.exists() else None

                assert await eventually(rebuilt, "the lost file to be rebuilt", 60) == written
                (row,) = await asyncio.to_thread(index_rows, api_database.url, report_id)
                assert (row["created_at"], row["json_sha256"]) == (
                    first["created_at"],
                    first["json_sha256"],
                )
    finally:
        store.close()
