"""The human-readable tables of `verachain bench write|api|relay` (without --json)."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.table import Table

from infra.bench.relay_bench import TARGET_EVENTS_PER_S


def print_write(summary: dict[str, Any]) -> None:
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


def print_api(summary: dict[str, Any]) -> None:
    table = Table(title=f"bench api: {summary['clients']} connections, {summary['seconds']} s")
    for column in ("", "per s", "p50 ms", "p99 ms", "errors", "CPU % api/worker/bench"):
        table.add_column(column, justify="right" if column else "left")
    for key, label in (
        ("client_ceiling_health", "GET /health (ceiling)"),
        ("query", "auction query"),
        ("place_bid", "placeBid accepted"),
    ):
        phase = summary[key]
        cpu = phase["cpu_percent"]
        table.add_row(
            label,
            f"{phase['per_s']:,.0f}",
            str(phase["p50_ms"]),
            str(phase["p99_ms"]),
            ", ".join(f"{k} {v}" for k, v in phase["errors"].items()) or "0",
            f"{cpu.get('api', 0):.0f} / {cpu.get('worker', 0):.0f} / {cpu.get('bench', 0):.0f}",
        )
    fanout = Table(
        title=f"fan-out: one bid, ms from its ack (deflate offered: "
        f"{summary['fanout']['deflate_offered']})"
    )
    for column in ("subs", "held", "missing", "p50", "p99", "max", "Redis→last", "KiB/conn"):
        fanout.add_column(column, justify="right")
    ceiling = summary["fanout"].get("client_ceiling")
    for level in [*summary["fanout"]["levels"], *([ceiling] if ceiling else [])]:
        redis_leg = level.get("from_redis_publish")
        fanout.add_row(
            f"{level['subscribers']:,}" + (" (client ceiling)" if level is ceiling else ""),
            f"{level['connected']:,}",
            str(level["missing_update"]),
            f"{level['from_ack']['p50_ms']:.0f}",
            f"{level['from_ack']['p99_ms']:.0f}",
            f"{level['from_ack']['max_ms']:.0f}",
            f"{redis_leg['max_ms']:.0f}" if redis_leg else "-",
            f"{level['kib_per_idle_connection']:.1f}",
        )
    console = Console()
    console.print(table)
    console.print(fanout)
    for name, target in summary["targets"].items():
        mark = "met" if summary["met"][name] else "MISSED"
        console.print(f"  {name}: target {target:,.0f} — {mark}")


def print_relay(summary: dict[str, Any]) -> None:
    relay, raw = summary["relay"], summary["raw_producer"]
    table = Table(title=f"bench relay: {summary['events']:,} events, {summary['broker']}")
    table.add_column("")
    table.add_column("relay (store → Kafka)", justify="right")
    table.add_column("raw producer (ceiling)", justify="right")
    table.add_row(
        "events/s",
        f"{summary['relay_events_per_s']:,.0f}",
        f"{summary['raw_producer_events_per_s']:,.0f}",
    )
    table.add_row("published", f"{relay['published']:,}", f"{raw['messages']:,}")
    table.add_row("seconds", str(relay["seconds"]), str(raw["seconds"]))
    table.add_row(
        "message bytes", f"{relay['mean_envelope_bytes']} (mean)", str(raw["value_bytes"])
    )
    console = Console()
    console.print(table)
    console.print(
        f"ratio {summary['ratio']}; relay batch size {relay['batch_size']}, "
        f"{relay['prepare_processes']} preparing processes, peak RSS {relay['peak_rss_mb']} MB "
        f"(with them); target {TARGET_EVENTS_PER_S:,.0f}/s met: {summary['met']}"
    )
