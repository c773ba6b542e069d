"""`verachain projections rebuild [sql|redis|all]` and `verachain projections check`."""

from __future__ import annotations

import sys
from types import TracebackType

import click
from redis import Redis
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from infra.bootstrap import NotConfigured, build_event_store
from infra.projection_status import projection_status
from infra.settings import Settings
from projections.live_model import PREFIX
from streams.read_model_check import CheckReport, check_read_models
from streams.rebuild import rebuild_read_models

TARGETS = ("all", "sql", "redis")
EXIT_DIFFERENCES = 1

_target = click.argument("target", type=click.Choice(TARGETS), default="all")
_workers = click.option(
    "--workers",
    type=click.IntRange(1, 16),
    default=None,
    help="Processes decoding a large history (default: one per core, at most 4).",
)
_prefix = click.option(
    "--redis-prefix",
    default=PREFIX,
    show_default=True,
    help="Key prefix of the Redis read model (the live projection writes 'verachain').",
)


@click.group()
def projections() -> None:
    """Read models: rebuild them from the event store, or check them against it."""


@projections.command("rebuild")
@_target
@_workers
@_prefix
def rebuild(target: str, workers: int | None, redis_prefix: str) -> None:
    """Rebuild read models from the event store and swap them in atomically (the live
    projections may keep running)."""
    settings = Settings.from_env()
    redis = _redis(settings) if target in ("redis", "all") else None
    store = build_event_store(settings)
    console = Console()
    try:
        with _FoldBar(Console(stderr=True)) as bar:
            stats = rebuild_read_models(
                settings,
                store,
                sql=target in ("sql", "all"),
                redis=redis,
                prefix=redis_prefix,
                workers=workers,
                observer=bar,
            )
    finally:
        store.close()
        if redis is not None:
            redis.close()
    console.print(
        f"rebuilt {' and '.join(stats.targets)}: {stats.events:,} events in "
        f"{stats.seconds:.1f} s ({stats.events_per_s:,.0f} events/s), "
        f"{stats.caught_up:,} more caught up; now at position {stats.position:,}",
        highlight=False,
    )


@projections.command("check")
@_target
@click.option(
    "--wait",
    "wait_s",
    type=click.FloatRange(0, 3600),
    default=0.0,
    show_default=True,
    help="Seconds to wait for read models that lag behind the store to catch up.",
)
@click.option("--limit", type=click.IntRange(1), default=50, show_default=True)
@_workers
@_prefix
@click.pass_context
def check(
    ctx: click.Context,
    *,
    target: str,
    wait_s: float,
    limit: int,
    workers: int | None,
    redis_prefix: str,
) -> None:
    """Compare every read model with a fresh replay of the store; print the differences
    (exit 1 if there are any)."""
    settings = Settings.from_env()
    redis = _redis(settings) if target in ("redis", "all") else None
    store = build_event_store(settings)
    try:
        with _FoldBar(Console(stderr=True), transient=True) as bar:
            bar.phase("replaying the event store")
            report = check_read_models(
                settings,
                store,
                sql=target in ("sql", "all"),
                redis=redis,
                prefix=redis_prefix,
                wait_s=wait_s,
                workers=workers,
                progress=bar.advance,
            )
    finally:
        store.close()
        if redis is not None:
            redis.close()
    _print_report(Console(), report, limit)
    if not report.clean:
        ctx.exit(EXIT_DIFFERENCES)


@projections.command("status")
def status() -> None:
    """Each projection's lag behind the store, and the dead letters (exit 1 if any)."""
    settings = Settings.from_env()
    if not settings.database_url:
        raise NotConfigured("VERACHAIN_DATABASE_URL is not set")
    report = projection_status(settings.database_url)
    console = Console()
    console.print(f"store head position        {report.store_head}")
    console.print(
        f"relay                      published {report.relay_position}, "
        f"lag {max(0, report.store_head - report.relay_position)} events"
    )
    console.print(
        f"read model (SQL + Redis)   {report.read_model_lagging_aggregates} aggregates behind"
    )
    console.print(f"dead letters               {report.dead_letter_count}")
    if report.recent_dead_letters:
        table = Table(title="most recent dead letters")
        for column in ("recorded", "type", "position", "aggregate", "error"):
            table.add_column(column, overflow="fold")
        for letter in report.recent_dead_letters:
            table.add_row(
                letter.recorded_at,
                letter.event_type or "-",
                str(letter.position or "-"),
                letter.aggregate_id or "-",
                letter.error,
            )
        console.print(table)
    sys.exit(1 if report.dead_letter_count else 0)


def _redis(settings: Settings) -> Redis:
    if not settings.redis_url:
        msg = "VERACHAIN_REDIS_URL is not set (or choose the `sql` target)"
        raise NotConfigured(msg)
    return Redis.from_url(settings.redis_url)


def _print_report(console: Console, report: CheckReport, limit: int) -> None:
    if report.clean:
        console.print(
            f"read models match the event store at position {report.position:,} "
            f"({report.compared:,} rows and aggregates compared)",
            highlight=False,
        )
        return
    count = len(report.differences)
    table = Table(title=f"{count:,} difference(s) from the event store at {report.position:,}")
    for column in ("model", "table / key", "id", "field", "expected", "actual", "kind"):
        table.add_column(column, overflow="fold")
    for d in report.differences[:limit]:
        table.add_row(d.model, d.where, d.id, d.field, d.expected, d.actual, d.kind.value)
    console.print(table)
    if count > limit:
        console.print(f"… and {count - limit:,} more (--limit)")
    if report.lagging:
        console.print(
            f"{report.lagging:,} aggregate(s) lag behind the store (try --wait SECONDS)",
            highlight=False,
        )


class _CountColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        total = "?" if task.total is None else f"{task.total:,.0f}"
        return Text(f"{task.completed:,.0f}/{total} events")


class _RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:,.0f} events/s")


class _FoldBar:
    """The rebuild's (and check's) progress: events done, rate and time left."""

    def __init__(self, console: Console, *, transient: bool = False) -> None:
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            _CountColumn(),
            _RateColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=transient,
        )
        self._task: TaskID | None = None

    def __enter__(self) -> _FoldBar:
        self._progress.start()
        self._task = self._progress.add_task("starting", total=None)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._progress.stop()

    def phase(self, name: str) -> None:
        if self._task is not None:
            self._progress.update(self._task, description=name)

    def advance(self, position: int, head: int) -> None:
        if self._task is not None:
            self._progress.update(self._task, completed=position, total=max(head, 1))
