"""`verachain bench NAME [--json]`: run a benchmark and print its figures."""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import uuid
from datetime import UTC, datetime
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from infra.bench.write_bench import (
    BidPicker,
    WriteBenchConfig,
    auction_window,
    run_baseline_phase,
    run_bus_phase,
    summarize,
)
from infra.bootstrap import build_bus, build_event_store, init_database
from infra.dev_database import server_url_for
from infra.postgres import PgTarget, create_database, drop_database
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
    base = Settings.from_env()
    server, origin = server_url_for(base, base.data_dir)
    dbname = f"verachain_bench_{uuid.uuid4().hex[:8]}"
    create_database(server, dbname)
    try:
        settings = base.with_database(PgTarget.from_url(server).url(dbname))
        init_database(settings)
        summary = asyncio.run(_run(settings, config, quiet=as_json))
    finally:
        drop_database(server, dbname)
    summary["postgres"] = origin
    if as_json:
        click.echo(json.dumps(summary, indent=2))
    else:
        _print(summary)
    sys.exit(0 if summary["all_met"] else 1)


async def _run(settings: Settings, config: WriteBenchConfig, *, quiet: bool) -> dict[str, Any]:
    console = Console(stderr=True, quiet=quiet)
    store = build_event_store(settings)
    # The baseline gets a connection per client so it is never starved of connections.
    baseline_store = build_event_store(
        Settings(**{**settings.__dict__, "db_pool_size": max(4, config.clients // 2)})
    )
    try:
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed:.0f}/{task.total:.0f}"),
            TimeRemainingColumn(),
            console=console,
        ) as progress:
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


def _print(summary: dict[str, Any]) -> None:
    table = Table(
        title=f"bench write: {summary['clients']} clients, {summary['auctions']} auctions"
    )
    table.add_column("")
    table.add_column("group-commit bus", justify="right")
    table.add_column("one command per txn", justify="right")
    c, b = summary["candidate"], summary["baseline"]
    for key, label in (
        ("accepted_per_s", "accepted commands/s"),
        ("p50_ms", "p50 latency (ms)"),
        ("p99_ms", "p99 latency (ms)"),
        ("accepted", "accepted"),
        ("peak_rss_mb", "peak RSS (MB)"),
    ):
        table.add_row(label, str(c[key]), str(b[key]))
    table.add_row("refused", json.dumps(c["refused"]), json.dumps(b["refused"]))
    console = Console()
    console.print(table)
    console.print(
        f"ratio {summary['ratio']}x; mean batch {summary['bus']['mean_batch_size']}; "
        f"targets met: {summary['met']}"
    )
