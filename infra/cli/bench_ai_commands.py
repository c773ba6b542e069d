"""`verachain bench models|ocr|jobs`: the AI scoring and job-queue benchmarks (issue #6)."""

from __future__ import annotations

import asyncio
import json
import sys

import click
from rich.console import Console
from rich.table import Table

from infra.bench.environment import bench_broker
from infra.settings import Settings


@click.command("models")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option("--calls", default=5000, show_default=True, type=click.IntRange(100, 1_000_000))
def bench_models(as_json: bool, calls: int) -> None:
    """Per-call latency of each ONNX model on one thread, and of the whole image pipeline."""
    from infra.bench.models_bench import run_models_bench

    summary = run_models_bench(tabular_calls=calls)
    if as_json:
        click.echo(json.dumps(summary, indent=2))
    else:
        table = Table(title="bench models (one intra-op thread)")
        for column in ("model", "p50 ms", "p99 ms", "target p99 ms", "met"):
            table.add_column(column)
        for name, f in summary["models"].items():
            table.add_row(
                name, str(f["p50_ms"]), str(f["p99_ms"]), str(f["target_p99_ms"]), str(f["met"])
            )
        Console().print(table)
    sys.exit(0 if summary["all_met"] else 1)


@click.command("ocr")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option("--labels", default=200, show_default=True, type=click.IntRange(10, 10_000))
def bench_ocr(as_json: bool, labels: int) -> None:
    """Reading one rendered label (English and Chinese: PP-OCR; Korean: tesseract) on one
    thread, and the share of serials found."""
    # Imported here: the OCR engines stay out of every other command's start-up.
    from infra.bench.ocr_bench import run_ocr_bench

    summary = run_ocr_bench(labels=labels)
    if as_json:
        click.echo(json.dumps(summary, indent=2))
    else:
        table = Table(title=f"bench ocr (one thread; target p99 {summary['target_p99_ms']} ms)")
        for column in ("engine", "labels", "p50 ms", "p99 ms", "serials found", "met"):
            table.add_column(column)
        for name, f in summary["engines"].items():
            found = ", ".join(f"{k} {v}" for k, v in f.get("serials_found", {}).items())
            table.add_row(
                name,
                str(f.get("labels", "-")),
                str(f.get("p50_ms", "-")),
                str(f.get("p99_ms", "-")),
                found or f"unavailable: {f.get('unavailable')}",
                str(f.get("met", "-")),
            )
        Console().print(table)
    sys.exit(0 if summary["all_met"] else 1)


@click.command("jobs")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option("--jobs", "count", default=20_000, show_default=True, type=click.IntRange(100, 10**7))
def bench_jobs(as_json: bool, count: int) -> None:
    """No-op jobs through the job topics and Faust agents: jobs/s in a burst (target 500/s),
    and enqueue-to-handler latency at a paced rate.

    Uses the broker of VERACHAIN_KAFKA_BOOTSTRAP when set, else an embedded Tansu."""
    from infra.bench.jobs_bench import run_jobs_bench

    with bench_broker(Settings.from_env()) as (settings, broker):
        summary = asyncio.run(run_jobs_bench(settings, count))
    summary["broker"] = broker
    if as_json:
        click.echo(json.dumps(summary, indent=2))
    else:
        Console().print(
            f"{summary['jobs_per_s']} jobs/s (target {summary['target_jobs_per_s']}), latency "
            f"p50 {summary['latency_p50_ms']} ms, p99 {summary['latency_p99_ms']} ms in the "
            f"burst; at {summary['paced_rate_per_s']:.0f} jobs/s: p50 "
            f"{summary['paced_latency_p50_ms']} ms, p99 {summary['paced_latency_p99_ms']} ms"
        )
    sys.exit(0 if summary["met"] else 1)
