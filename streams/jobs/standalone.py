"""A Faust app that runs only job agents, for a registry of one's own (the job benchmark's
no-op kind, the tests' failing kinds). `verachain worker` runs the production kinds inside
its projection app instead (streams/worker_app.py)."""

from __future__ import annotations

import sys

import faust

from infra.settings import Settings
from streams.faust_fetch_wait import limit_fetch_wait
from streams.jobs.agents import install_job_agents
from streams.jobs.registry import JobRegistry
from streams.worker_app import FETCH_MAX_WAIT_MS, faust_options


def create_jobs_app(settings: Settings, registry: JobRegistry, app_id: str) -> faust.App:
    limit_fetch_wait(FETCH_MAX_WAIT_MS)
    app = faust.App(settings.worker_group or app_id, **faust_options(settings))
    install_job_agents(app, settings, registry)
    return app


def run_jobs_worker(settings: Settings, registry: JobRegistry, app_id: str) -> None:
    """Run until SIGTERM (Faust's own command line; it owns the event loop)."""
    app = create_jobs_app(settings, registry, app_id)
    sys.argv = [sys.argv[0], "worker", "--loglevel", "warn"]
    app.main()
