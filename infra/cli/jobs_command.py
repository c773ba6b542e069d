"""`verachain jobs status|retry-dead KIND|schedule`."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import click
from rich.console import Console
from rich.table import Table

from infra.job_admin import JobTopicsMissing, job_status, requeue_dead
from infra.settings import Settings
from streams.consumer_groups import job_group
from streams.jobs.job_topics import JOB_KINDS
from streams.schedules.listing import read_schedule


class JobsInputError(click.ClickException):
    """One line on stderr, exit code 2 (CONTRACT: bad usage or input)."""

    exit_code = 2


@click.group()
def jobs() -> None:
    """Job queues on Kafka: how deep they are, and re-queueing dead letters."""


@jobs.command("status")
@click.option(
    "--kind",
    "kinds",
    multiple=True,
    help="Only this kind (repeatable); default: every kind the deployment runs.",
)
def jobs_status(kinds: tuple[str, ...]) -> None:
    """Per kind: jobs waiting, retries waiting, dead letters (not re-queued / in all)."""
    settings = Settings.from_env()
    try:
        rows = asyncio.run(job_status(settings, list(kinds or JOB_KINDS)))
    except JobTopicsMissing as e:
        raise JobsInputError(str(e)) from e
    table = Table(title="VeraChain jobs")
    for column in ("kind", "run by", "depth", "retries waiting", "dead", "dead (all time)"):
        table.add_column(column, justify="left" if column in ("kind", "run by") else "right")
    for row in rows:
        table.add_row(
            row.kind,
            job_group(settings, row.kind),
            str(row.depth),
            str(row.retries_waiting),
            str(row.dead_waiting),
            str(row.dead_total),
        )
    Console().print(table)


@jobs.command("retry-dead")
@click.argument("kind")
def jobs_retry_dead(kind: str) -> None:
    """Send KIND's dead letters back to its queue as first attempts; print how many."""
    settings = Settings.from_env()
    try:
        count = asyncio.run(requeue_dead(settings, kind))
    except JobTopicsMissing as e:
        raise JobsInputError(f"unknown job kind {kind!r}: {e}") from e
    Console().print(f"re-queued {count} dead {kind} job(s)")


@jobs.command("schedule")
def jobs_schedule() -> None:
    """Every schedule: when and where it runs, the slot and job it last fired, when next."""
    settings = Settings.from_env()
    now = datetime.now(UTC)
    lines = asyncio.run(read_schedule(settings, now))
    table = Table(title=f"VeraChain schedules (now {_utc(now)})")
    for column in ("schedule", "when", "runs in", "does", "last fired", "job id", "next due"):
        table.add_column(column)
    for line in lines:
        if not line.recorded:
            last, job_id, due = "(not recorded)", "-", "continuously"
        else:
            last = _utc(line.last_slot) if line.last_slot else "never"
            job_id = line.last_job_id or "-"
            due = _utc(line.next_due) if line.next_due else "-"
            due += " (overdue)" if line.overdue else ""
        table.add_row(line.name, line.when, line.runs_in, line.does, last, job_id, due)
    Console().print(table)


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
