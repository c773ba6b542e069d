"""`verachain worker`: the Faust stream processors (read-model projections)."""

from __future__ import annotations

import click
import faust
from prometheus_client import CollectorRegistry, start_http_server

from infra.runtime import tune_gc_for_latency
from infra.service_process import start_service_process
from infra.settings import Settings
from streams.worker_app import create_worker_app


@click.command()
@click.pass_context
def worker(ctx: click.Context) -> None:
    """Run the projection agents until SIGINT/SIGTERM (several workers share the load)."""
    start_service_process("worker", verbose=bool(ctx.obj and ctx.obj.get("verbose")))
    settings = Settings.from_env()
    registry = CollectorRegistry()
    settings.data_dir.mkdir(parents=True, exist_ok=True)  # Faust makes only its own subdir
    app = create_worker_app(settings, registry)
    if settings.worker_metrics_port:
        start_http_server(settings.worker_metrics_port, addr="127.0.0.1", registry=registry)
    tune_gc_for_latency()
    faust.Worker(app, loglevel="WARN", quiet=True).execute_from_commandline()
