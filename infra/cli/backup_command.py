"""`verachain backup PATH` / `verachain restore PATH`: the event store to a directory of
compressed JSON lines with the latest signed checkpoint, and back into an empty store."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from infra.audit_tools import AuditToolError, log_verifier_key
from infra.backup import write_backup
from infra.backup_format import BackupError
from infra.restore import restore_backup
from infra.settings import Settings
from projections.signed_note import verifier_key


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("events"),
        TimeRemainingColumn(),
        console=console,
    )


def _installation_key(settings: Settings, given: str | None) -> str | None:
    """The vkey copied into the backup: --log-key, else this installation's, else none."""
    try:
        key = log_verifier_key(settings, given)
    except AuditToolError:
        if given:
            raise
        return None  # no audit log key here yet: the backup says so
    return verifier_key(key.name, key.public_key)


@click.command("backup")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--log-key", help="The verifier key to copy in (default: this installation's).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def backup(path: Path, log_key: str | None, quiet: bool) -> None:
    """Export every stored event (as stored) and the latest signed checkpoint to PATH."""
    settings = Settings.from_env()
    console = Console(stderr=True, quiet=quiet)
    try:
        key = _installation_key(settings, log_key)
        with _progress(console) as progress:
            task = progress.add_task("backing up", total=None)
            summary = write_backup(
                settings,
                path,
                key,
                on_total=lambda total: progress.update(task, total=total),
                advance=lambda done: progress.advance(task, done),
            )
    except (BackupError, AuditToolError) as e:
        click.echo(f"backup: {e}", err=True)
        sys.exit(getattr(e, "exit_code", BackupError.exit_code))
    checkpoint = summary.manifest.checkpoint
    signed = f"checkpoint at {checkpoint.tree_size} events" if checkpoint else "no checkpoint"
    click.echo(f"backup: {summary.manifest.events} events and {signed} written to {path}")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--log-key", help="Check the checkpoint with this key (default: the backup's).")
@click.option(
    "--verify/--no-verify",
    default=True,
    show_default=True,
    help="Check the restored history's root against the signed checkpoint before committing.",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def restore(path: Path, log_key: str | None, verify: bool, quiet: bool) -> None:
    """Load a backup into an EMPTY event store, with its original notification ids."""
    settings = Settings.from_env()
    console = Console(stderr=True, quiet=quiet)
    try:
        with _progress(console) as progress:
            task = progress.add_task("restoring", total=None)
            summary = restore_backup(
                settings,
                path,
                log_key=log_key,
                verify=verify,
                on_total=lambda total: progress.update(task, total=total),
                advance=lambda done: progress.advance(task, done),
            )
    except BackupError as e:
        click.echo(f"restore: {e}", err=True)
        sys.exit(e.exit_code)
    click.echo(
        f"restore: {summary.events} events restored (ids up to {summary.last_notification_id})"
    )
    if summary.verified is not None:
        checkpoint = summary.verified.checkpoint
        click.echo(
            f"restore: OK: the root of the first {checkpoint.size} events is the signed "
            f"checkpoint's (key from {summary.verified.key_source})"
        )
    elif verify:
        click.echo("restore: the backup has no checkpoint: nothing to verify against")
