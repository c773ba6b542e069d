"""`verachain jobs status|retry-dead KIND`."""

from __future__ import annotations

import asyncio

import click
from rich.console import Console
from rich.table import Table

from infra.job_admin import JobTopicsMissing, job_status, requeue_dead
from infra.settings import Settings
from streams.consumer_groups import job_group
from streams.jobs.job_topics import JOB_KINDS


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
