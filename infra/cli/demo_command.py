"""`verachain demo`: drive realistic traffic through the command bus."""

from __future__ import annotations

import asyncio

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from infra.bootstrap import build_bus, build_event_store, init_database
from infra.demo import DemoReport, run_demo
from infra.dev_database import ensure_dev_database
from infra.settings import Settings


def _positive(_ctx: click.Context, _param: click.Parameter, value: float) -> float:
    if value <= 0:
        raise click.BadParameter("must be positive")
    return value


@click.command()
@click.option("--products", default=20, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--auctions", default=5, show_default=True, type=click.IntRange(0, 10_000))
@click.option("--bidders", default=8, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--seconds", default=10.0, show_default=True, type=float, callback=_positive)
def demo(products: int, auctions: int, bidders: int, seconds: float) -> None:
    """Register, verify, certify, auction and settle, through the command layer."""
    settings, origin = ensure_dev_database(Settings.from_env())
    init_database(settings)
    report = asyncio.run(drive_demo(settings, products, auctions, bidders, seconds))
    print_report(Console(), report, origin)


async def drive_demo(
    settings: Settings, products: int, auctions: int, bidders: int, seconds: float
) -> DemoReport:
    store = build_event_store(settings)
    try:
        with Progress(
            TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn()
        ) as progress:
            tasks: dict[str, TaskID] = {}

            def on_progress(step: str, done: float) -> None:
                if step not in tasks:
                    tasks[step] = progress.add_task(step, total=1.0)
                progress.update(tasks[step], completed=done)

            async with build_bus(settings, store) as bus:
                return await run_demo(
                    bus,
                    store,
                    products=products,
                    auctions=auctions,
                    bidders=bidders,
                    seconds=seconds,
                    progress=on_progress,
                )
    finally:
        store.close()


def print_report(console: Console, report: DemoReport, origin: str) -> None:
    table = Table(title=f"demo traffic ({origin})", show_header=False)
    table.add_row("products registered", str(report.products))
    table.add_row(
        "verdicts", ", ".join(f"{k} {v}" for k, v in sorted(report.verdicts.items())) or "-"
    )
    table.add_row("certificates issued / revoked", f"{report.certificates} / {report.revoked}")
    table.add_row("auctions opened", str(report.auctions))
    table.add_row("bids accepted", str(report.bids_accepted))
    refused = ", ".join(f"{k} {v}" for k, v in sorted(report.bids_refused.items()))
    table.add_row("bids refused", refused or "0")
    table.add_row("auctions sold / unsold", f"{len(report.sold)} / {report.unsold}")
    table.add_row("event store head position", str(report.head_position))
    console.print(table)
    for auction, winner, amount in report.sold:
        console.print(f"  auction {auction}… sold to {winner} for {amount} EUR")
