"""`verachain audit key | verify | prove`: the auditor's tools."""

from __future__ import annotations

import asyncio
import sys
import uuid
from pathlib import Path

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)

from infra.audit_runner import checkpoint_signer
from infra.audit_tools import AuditToolError, log_verifier_key, prove, verify
from infra.settings import Settings

EXIT_INVALID = 1
EXIT_BAD_INPUT = 2


@click.group()
def audit() -> None:
    """Verify the event history against the signed audit log; prove single events."""


@audit.command("key")
def audit_key() -> None:
    """Print the log's verifier key (name+keyid+base64); creates the key on first use."""
    click.echo(checkpoint_signer(Settings.from_env()).verifier_key)


@audit.command("verify")
@click.option("--from-kafka", is_flag=True, help="Read the history from the Kafka topics.")
@click.option(
    "--trusted-checkpoint",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A signed checkpoint note kept from earlier; today's log must extend it.",
)
@click.option("--log-key", help="The log's verifier key (default: this installation's key).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def audit_verify(
    from_kafka: bool, trusted_checkpoint: Path | None, log_key: str | None, quiet: bool
) -> None:
    """Recompute every leaf and root; check every checkpoint. Exit 0 only if all holds."""
    settings = Settings.from_env()
    console = Console(stderr=True, quiet=quiet)
    try:
        key = log_verifier_key(settings, log_key)
        trusted = trusted_checkpoint.read_text("utf-8") if trusted_checkpoint else None
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),  # "?" while the total is unknown (a format of None fails)
            TextColumn("events"),
            TimeRemainingColumn(),
            console=console,
        ) as progress:
            task = progress.add_task("recomputing leaves", total=None)
            report = asyncio.run(
                verify(
                    settings,
                    key,
                    from_kafka=from_kafka,
                    trusted=trusted,
                    on_total=lambda total: progress.update(task, total=total),
                    advance=lambda done: progress.advance(task, done),
                )
            )
    except AuditToolError as e:
        click.echo(f"audit verify: {e}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    if not report.ok:
        click.echo(f"audit verify: FAILED: {report.problems[0]}", err=True)
        for problem in report.problems[1:]:
            click.echo(f"  also: {problem}", err=True)
        sys.exit(EXIT_INVALID)
    source = "Kafka" if from_kafka else "the event store"
    click.echo(
        f"audit verify: OK: {report.leaves} events from {source}, "
        f"{report.checkpoints} signed checkpoints hold"
    )


@audit.command("prove")
@click.argument("event_id")
def audit_prove(event_id: str) -> None:
    """Print a C2SP tlog-proof of the event's inclusion (leaf input as extra data)."""
    try:
        event_uuid = uuid.UUID(event_id)
    except ValueError:
        click.echo(f"audit prove: {event_id!r} is not an event id (a UUID)", err=True)
        sys.exit(EXIT_BAD_INPUT)
    try:
        proof = asyncio.run(prove(Settings.from_env(), str(event_uuid)))
    except AuditToolError as e:
        click.echo(f"audit prove: {e}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    click.echo(proof.format(), nl=False)
