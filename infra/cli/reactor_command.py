"""`verachain reactor`: the stream agents that react to events with side effects."""

from __future__ import annotations

import os

import click
import faust
from prometheus_client import CollectorRegistry, start_http_server

from infra.runtime import tune_gc_for_latency
from infra.service_process import start_service_process
from infra.settings import Settings
from streams.reactor_app import create_reactor_app


@click.command()
@click.pass_context
def reactor(ctx: click.Context) -> None:
    """Run the notifier, the report requester and the AI agents (assessment, bid flagging)
    until SIGINT/SIGTERM, in a consumer group of their own: several reactors share the
    load, and they never hold the projection back."""
    start_service_process("reactor", verbose=bool(ctx.obj and ctx.obj.get("verbose")))
    settings = Settings.from_env()
    if settings.reactor_niceness:
        os.nice(settings.reactor_niceness)  # before any thread: every thread inherits it
    registry = CollectorRegistry()
    settings.data_dir.mkdir(parents=True, exist_ok=True)  # Faust makes only its own subdir
    app = create_reactor_app(settings, registry)
    if settings.reactor_metrics_port:
        start_http_server(settings.reactor_metrics_port, addr="127.0.0.1", registry=registry)
    tune_gc_for_latency()
    faust.Worker(app, loglevel="WARN", quiet=True).execute_from_commandline()
