"""`verachain`: one entry point; errors are one clear line (details with --verbose)."""

from __future__ import annotations

import logging
import sys
import traceback

import click
from rich.console import Console

from domain.errors import DomainError
from infra.bootstrap import NotConfigured
from infra.cli.api_command import api
from infra.cli.audit_command import audit
from infra.cli.backup_command import backup, restore
from infra.cli.bench_ai_commands import bench_jobs, bench_models, bench_ocr
from infra.cli.bench_command import bench
from infra.cli.cert_command import cert
from infra.cli.contacts_command import contacts
from infra.cli.db_command import db
from infra.cli.demo_command import demo
from infra.cli.dev_command import dev
from infra.cli.jobs_command import jobs
from infra.cli.models_command import models
from infra.cli.projections_command import projections
from infra.cli.reactor_command import reactor
from infra.cli.relay_command import relay
from infra.cli.reports_command import reports
from infra.cli.rescore_command import rescore_command
from infra.cli.token_command import token
from infra.cli.topics_command import topics
from infra.cli.worker_command import worker
from infra.settings import SettingsError
from infra.tokens import TokenError

EXIT_CHECK_FAILED = 1
EXIT_BAD_INPUT = 2

# soft_wrap: an error is one line however narrow the terminal (CONTRACT: one clear line).
err_console = Console(stderr=True, soft_wrap=True)


@click.group()
@click.option("--verbose", "-v", is_flag=True, help="Show details (tracebacks) on errors.")
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    """VeraChain: event-sourced backend for product authenticity and live auctions."""
    ctx.ensure_object(dict)
    ctx.obj["verbose"] = verbose
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


cli.add_command(api)
cli.add_command(audit)
cli.add_command(backup)
cli.add_command(restore)
cli.add_command(cert)
cli.add_command(contacts)
cli.add_command(db)
cli.add_command(token)
cli.add_command(demo)
cli.add_command(dev)
for ai_bench in (bench_models, bench_ocr, bench_jobs):
    bench.add_command(ai_bench)
cli.add_command(bench)
cli.add_command(jobs)
cli.add_command(topics)
cli.add_command(relay)
cli.add_command(reports)
cli.add_command(projections)
models.add_command(rescore_command)
cli.add_command(models)
cli.add_command(reactor)
cli.add_command(worker)


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    verbose = "--verbose" in args or "-v" in args
    try:
        code = cli.main(args=args, prog_name="verachain", standalone_mode=False)
    except click.exceptions.Abort:
        err_console.print("aborted")
        sys.exit(130)
    except click.ClickException as e:
        e.show()
        sys.exit(EXIT_BAD_INPUT if e.exit_code == 2 else e.exit_code)
    except (DomainError, SettingsError, NotConfigured, TokenError) as e:
        _fail(f"{getattr(e, 'code', 'bad input')}: {e}", EXIT_BAD_INPUT, verbose)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)
    except Exception as e:
        _fail(f"{type(e).__name__}: {e}", EXIT_CHECK_FAILED, verbose)
    sys.exit(code if isinstance(code, int) else 0)


def _fail(message: str, exit_code: int, verbose: bool) -> None:
    first_line = message.strip().splitlines()[0] if message.strip() else "failed"
    err_console.print(f"[bold red]error:[/] {first_line}", highlight=False)
    if verbose:
        err_console.print(traceback.format_exc(), highlight=False)
    else:
        err_console.print("(run with --verbose for details)", style="dim")
    sys.exit(exit_code)
