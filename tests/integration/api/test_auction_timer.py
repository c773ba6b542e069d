"""With the worker running, an auction closes by itself within 2 s of its end (issue #6's
auction timer: a Faust task on the group's leader), seen from outside through GraphQL."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta

from commands.actor import Role
from infra.bootstrap import build_bus, build_event_store
from tests.integration.api.conftest import RunningApi
from tests.integration.api.test_graphql_flow import data
from tests.support.scenario import open_auction

STATUS = """query($a: ID!) { auction(id: $a) { status endsAt winnerId } }"""
HISTORY = """query($a: ID!) { eventHistory(aggregateId: $a) { envelope } }"""


async def test_an_auction_closes_by_itself_within_two_seconds_of_its_end(
    running_api: RunningApi,
) -> None:
    api = running_api
    store = build_event_store(api.settings)
    try:
        async with build_bus(api.settings, store) as bus:
            spec = await open_auction(bus, duration=timedelta(seconds=6))
    finally:
        store.close()
    auction_id = str(spec.auction_id)

    deadline = time.monotonic() + 60  # the worker may still be joining its group
    while (shown := data(await api.graphql(STATUS, {"a": auction_id}))["auction"]) is None:
        assert time.monotonic() < deadline, "the worker never projected the auction"
        await asyncio.sleep(0.2)
    ends_at = datetime.fromisoformat(shown["endsAt"])
    assert shown["status"] == "OPEN"
    assert datetime.now(UTC) < ends_at, "the worker took too long to start for this test"

    deadline = time.monotonic() + (ends_at - datetime.now(UTC)).total_seconds() + 10
    while data(await api.graphql(STATUS, {"a": auction_id}))["auction"]["status"] != "CLOSED":
        assert time.monotonic() < deadline, "the auction did not close by itself"
        await asyncio.sleep(0.1)

    auditor = api.token("audrey", Role.AUDITOR)
    history = data(await api.graphql(HISTORY, {"a": auction_id}, auditor))["eventHistory"]
    closed = json.loads(history[-1]["envelope"])
    assert closed["type"] == "AuctionClosed"
    assert closed["metadata"]["actor"] == "auction-timer"
    late = datetime.fromisoformat(closed["occurred_at"].replace("Z", "+00:00")) - ends_at
    assert timedelta(0) <= late <= timedelta(seconds=2), late
