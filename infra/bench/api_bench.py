"""`verachain bench api`: the GraphQL API in a process of its own, over HTTP and WebSocket.

Around it runs what production runs: a fresh database, a broker, Redis, the relay (a task
in this process) and one projection worker (a process), so the read models it serves are
filled by the real pipeline (api_system.py). Rate limiting is off
(VERACHAIN_RATE_*_PER_MIN=0) and the bench mints its own tokens. The phases:

1. client ceiling: the load client against `/health` (the same HTTP stack and
   middleware, no GraphQL, no I/O), so that a client-bound figure would show;
2. queries: one auction with its highest bid, bid count and top 10 bids, over ~50
   auctions that have bids, from `clients` keep-alive connections for `seconds`
   (closed loop: each connection sends its next request when the last was answered);
3. placeBid: each connection bids on an auction of its own with increasing amounts, with a
   bidder token of its own, through the API's group-commit bus: accepted bids/s and
   refusals by code;
4. fan-out: 1,000 / 5,000 / 10,000 `/ws` subscribers of one auction, one bid, the time
   until each subscriber received it, and the API's memory per idle connection
   (api_fanout.py).

Every phase records the CPU time of the API, the worker and this process (the client and
the relay) and the machine's, so the figures say which process was the limit."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from commands.actor import Role
from infra.bench.api_fanout import FanoutConfig, run_fanout
from infra.bench.api_load import (
    LoadRun,
    closed_loop,
    connect,
    get_request,
    graphql_error_code,
    graphql_request,
)
from infra.bench.api_system import HOST, RunningSystem, running_system, seed_auctions
from infra.bench.ws_ceiling import run_ws_ceiling
from infra.runtime import tune_gc_for_latency
from infra.scenario import OpenedAuction
from infra.settings import Settings
from infra.tokens import issue_token

TARGETS: dict[str, float] = {
    "query_per_s": 1500.0,
    "query_p99_ms": 20.0,
    "place_bid_accepted_per_s": 1500.0,
    "fanout_subscribers": 10_000,
    "fanout_max_ms": 1000.0,
    "kib_per_idle_connection": 40.0,
}
AUCTION_QUERY = (
    "query($id: ID!) { auction(id: $id) { highestBid { amount { amount currency } bidderId }"
    " bidCount bids(first: 10) { bidderId amount { amount } } } }"
)
PLACE_BID = "mutation($a: ID!, $m: Decimal!) { placeBid(auctionId: $a, amount: $m) { position } }"
Progress = Callable[[str, float, float], None]  # phase, done, total


@dataclass(frozen=True)
class ApiBenchConfig:
    clients: int = 32
    seconds: float = 15.0
    ceiling_seconds: float = 5.0
    query_auctions: int = 50
    bids_per_auction: int = 12
    fanout: tuple[int, ...] = (1_000, 5_000, 10_000)
    ws_deflate: bool = True  # subscribers offer permessage-deflate, as browsers do
    # Freeze this process's heap before measuring (infra/runtime.py), so that the load
    # client's own full collections do not stall it; off in tests (it is process-wide).
    tune_gc: bool = True


def _check_query_answers(run: LoadRun, bids_per_auction: int) -> int:
    """Raises unless the kept answers hold what was seeded; returns how many were checked."""
    for body in run.samples:
        auction = json.loads(body)["data"]["auction"]
        if (
            auction is None
            or auction["highestBid"] is None
            or auction["bidCount"] != bids_per_auction
            or len(auction["bids"]) != min(10, bids_per_auction)
        ):
            raise AssertionError(f"an answer does not hold the seeded bids: {body[:300]!r}")
    return len(run.samples)


async def _measured(system: RunningSystem, run: Awaitable[LoadRun]) -> dict[str, Any]:
    """The phase's figures and the CPU each process spent during it."""
    system.meter.start()
    result = await run
    return result.to_json() | {"cpu_percent": system.meter.stop()}


async def run_api_bench(
    base: Settings, config: ApiBenchConfig, progress: Progress
) -> dict[str, Any]:
    async with running_system(base) as system:
        settings, port = system.settings, system.port
        assert settings.jwt_secret is not None
        address = (HOST, port)
        total = config.query_auctions + config.clients + 1
        opened_count = 0

        def opened() -> None:
            nonlocal opened_count
            opened_count += 1
            progress("seed", opened_count, total)

        opened_auctions = await seed_auctions(
            settings, total, config.query_auctions, config.bids_per_auction, opened
        )
        await system.caught_up(180)
        if config.tune_gc:
            tune_gc_for_latency()
        health = get_request(HOST, port, "/health")
        ceiling = await _measured(
            system,
            closed_loop(
                "ceiling",
                address,
                clients=config.clients,
                seconds=config.ceiling_seconds,
                make_request=lambda _c, _n: health,
                classify=lambda status, _b: None if status == 200 else f"HTTP_{status}",
                tick=lambda done: progress(
                    "ceiling", done * config.ceiling_seconds, config.ceiling_seconds
                ),
            ),
        )
        queries = [
            graphql_request(HOST, port, AUCTION_QUERY, {"id": str(a.auction_id)})
            for a in opened_auctions[: config.query_auctions]
        ]
        system.meter.start()
        query = await closed_loop(
            "query",
            address,
            clients=config.clients,
            seconds=config.seconds,
            make_request=lambda c, n: queries[(c * 7 + n) % len(queries)],
            classify=graphql_error_code,
            tick=lambda done: progress("query", done * config.seconds, config.seconds),
        )
        query_figures = query.to_json() | {
            "cpu_percent": system.meter.stop(),
            "answers_checked": _check_query_answers(query, config.bids_per_auction),
        }
        start = config.query_auctions
        bid_auctions = opened_auctions[start : start + config.clients]
        tokens = [
            issue_token(settings.jwt_secret, f"bench-bidder-{i}", [Role.BIDDER])
            for i in range(config.clients + 1)
        ]

        def bid_request(client: int, n: int) -> bytes:
            auction = bid_auctions[client]
            variables = {
                "a": str(auction.auction_id),
                "m": str(auction.reserve + n * auction.increment),
            }
            return graphql_request(HOST, port, PLACE_BID, variables, tokens[client])

        bids = await _measured(
            system,
            closed_loop(
                "placeBid",
                address,
                clients=config.clients,
                seconds=config.seconds,
                make_request=bid_request,
                classify=graphql_error_code,
                tick=lambda done: progress("placeBid", done * config.seconds, config.seconds),
            ),
        )
        # The live update of the fan-out's bid must not queue behind the bids' backlog.
        caught_up_s = await system.caught_up(300)
        fanout = await run_fanout(
            FanoutConfig(
                ws_url=f"ws://{HOST}:{port}/ws",
                auction_id=str(opened_auctions[-1].auction_id),
                levels=config.fanout,
                server_pid=system.api.pid,
                redis_url=settings.redis_url,
                deflate=config.ws_deflate,
                freeze_gc=config.tune_gc,
            ),
            _fanout_bidder(address, opened_auctions[-1], tokens[-1]),
            system.meter,
            lambda done: progress("fanout", done, max(config.fanout, default=0)),
        )
    fanout["timed_from"] = "the fan-out bid's HTTP acknowledgement (from_ack)"
    sample_update = fanout.pop("sample_update")
    # After the API's subscribers are closed: the same client against a minimal server.
    top = max(config.fanout, default=0)
    if top:
        fanout["client_ceiling"] = await run_ws_ceiling(
            top,
            sample_update,
            deflate=config.ws_deflate,
            freeze_gc=config.tune_gc,
            tick=lambda done: progress("fanout_ceiling", done, top),
        )
    return summarize(
        config,
        phases={"client_ceiling_health": ceiling, "query": query_figures, "place_bid": bids},
        fanout=fanout,
        worker_catch_up_after_bids_s=caught_up_s,
    )


def _fanout_bidder(
    address: tuple[str, int], auction: OpenedAuction, token: str
) -> Callable[[int], Awaitable[tuple[int, float, float]]]:
    """Places the fan-out level's bid over HTTP: (position, sent at, acknowledged at)."""

    async def place(number: int) -> tuple[int, float, float]:
        amount = auction.reserve + number * auction.increment
        variables = {"a": str(auction.auction_id), "m": str(amount)}
        request = graphql_request(*address, PLACE_BID, variables, token)
        connection = await connect(*address)
        try:
            sent_at = time.perf_counter()
            status, body = await connection.request(request)
            acked_at = time.perf_counter()
        finally:
            connection.close()
        if graphql_error_code(status, body) is not None:
            raise RuntimeError(f"the fan-out bid was refused: {body[:300]!r}")
        return int(json.loads(body)["data"]["placeBid"]["position"]), sent_at, acked_at

    return place


def summarize(
    config: ApiBenchConfig,
    phases: dict[str, dict[str, Any]],
    fanout: dict[str, Any],
    worker_catch_up_after_bids_s: float,
) -> dict[str, Any]:
    """The figures, the targets and whether each was met (the fan-out's max at every
    level, with every subscriber's update received; memory at the highest level)."""
    query, bids = phases["query"], phases["place_bid"]
    levels = fanout["levels"]
    top = levels[-1] if levels else {}
    worst_max = max((level["from_ack"]["max_ms"] for level in levels), default=float("inf"))
    complete = bool(levels) and all(level["missing_update"] == 0 for level in levels)
    kib = float(top.get("kib_per_idle_connection", float("inf")))
    met = {
        "query_per_s": query["per_s"] >= TARGETS["query_per_s"],
        "query_p99_ms": query["p99_ms"] <= TARGETS["query_p99_ms"],
        "place_bid_accepted_per_s": bids["per_s"] >= TARGETS["place_bid_accepted_per_s"],
        "fanout_subscribers": int(top.get("connected", 0)) >= TARGETS["fanout_subscribers"],
        "fanout_max_ms": complete and worst_max <= TARGETS["fanout_max_ms"],
        "kib_per_idle_connection": kib <= TARGETS["kib_per_idle_connection"],
    }
    return {
        "benchmark": "api",
        "clients": config.clients,
        "seconds": config.seconds,
        "query_auctions": config.query_auctions,
        "cpu_percent_is": (
            "percent of one core over the phase; bench = this process (load client and the "
            "relay); others = the rest of the machine (PostgreSQL, Redis, the broker, the "
            "relay's preparing processes, anything else running)"
        ),
        **phases,
        "worker_catch_up_after_bids_s": round(worker_catch_up_after_bids_s, 2),
        "fanout": fanout,
        "targets": TARGETS,
        "met": met,
        "all_met": all(met.values()),
    }
