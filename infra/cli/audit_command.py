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

from infra.audit_export import ExportError, export_audit
from infra.audit_runner import checkpoint_signer
from infra.audit_tools import (
    AuditToolError,
    export_verifier_key,
    log_verifier_key,
    prove,
    verify,
    verify_export,
)
from infra.settings import Settings

EXIT_INVALID = 1
EXIT_BAD_INPUT = 2


def _event_progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),  # "?" while the total is unknown (a format of None fails)
        TextColumn("events"),
        TimeRemainingColumn(),
        console=console,
    )


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
@click.option(
    "--from-export",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Check an `audit export` directory instead (offline: no database, no broker).",
)
@click.option("--log-key", help="The log's verifier key (default: this installation's key).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def audit_verify(
    from_kafka: bool,
    trusted_checkpoint: Path | None,
    from_export: Path | None,
    log_key: str | None,
    quiet: bool,
) -> None:
    """Recompute every leaf and root; check every checkpoint. Exit 0 only if all holds."""
    settings = Settings.from_env()
    console = Console(stderr=True, quiet=quiet)
    if from_export is not None and from_kafka:
        click.echo("audit verify: --from-export and --from-kafka exclude each other", err=True)
        sys.exit(EXIT_BAD_INPUT)
    try:
        key = (
            export_verifier_key(from_export, log_key)
            if from_export is not None
            else log_verifier_key(settings, log_key)
        )
        trusted = trusted_checkpoint.read_text("utf-8") if trusted_checkpoint else None
        with _event_progress(console) as progress:
            task = progress.add_task("recomputing leaves", total=None)
            report = asyncio.run(
                verify_export(
                    from_export,
                    key,
                    trusted=trusted,
                    advance=lambda done: progress.advance(task, done),
                )
                if from_export is not None
                else verify(
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
    source = "Kafka" if from_kafka else (f"{from_export}" if from_export else "the event store")
    click.echo(
        f"audit verify: OK: {report.leaves} events from {source}, "
        f"{report.checkpoints} signed checkpoints hold"
    )


@audit.command("export")
@click.argument("path", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--inclusion-proofs",
    is_flag=True,
    help="Also an inclusion proof of every leaf (large: ~1 KB per event).",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def audit_export(path: Path, inclusion_proofs: bool, quiet: bool) -> None:
    """Write events, checkpoints and proofs to PATH for an offline audit."""
    settings = Settings.from_env()
    console = Console(stderr=True, quiet=quiet)
    try:
        with _event_progress(console) as progress:
            task = progress.add_task("exporting events", total=None)
            written = asyncio.run(
                export_audit(
                    settings,
                    path,
                    checkpoint_signer(settings).verifier_key,
                    inclusion_proofs=inclusion_proofs,
                    advance=lambda done: progress.advance(task, done),
                )
            )
    except ExportError as e:
        click.echo(f"audit export: {e}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    click.echo(f"audit export: {written} events, checkpoints and proofs written to {path}")


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
