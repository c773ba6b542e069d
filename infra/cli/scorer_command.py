"""`verachain scorer`: the model-driven stream agents (AI assessment, bid flagging)."""

from __future__ import annotations

import click
import faust
from prometheus_client import CollectorRegistry, start_http_server

from infra.runtime import tune_gc_for_latency
from infra.service_process import start_service_process
from infra.settings import Settings
from streams.scoring_app import create_scoring_app


@click.command()
@click.pass_context
def scorer(ctx: click.Context) -> None:
    """Run the AI assessment and bid-flagging agents until SIGINT/SIGTERM (their own
    consumer group: several scorers share the load, and they never hold the projection back)."""
    start_service_process("scorer", verbose=bool(ctx.obj and ctx.obj.get("verbose")))
    settings = Settings.from_env()
    registry = CollectorRegistry()
    app = create_scoring_app(settings, registry)
    if settings.scorer_metrics_port:
        start_http_server(settings.scorer_metrics_port, addr="127.0.0.1", registry=registry)
    tune_gc_for_latency()
    faust.Worker(app, loglevel="WARN", quiet=True).execute_from_commandline()
