"""`verachain dev`: everything on one machine, with embedded services when unconfigured.

Finds or starts PostgreSQL, Redis and a Kafka-compatible broker, prepares the schema and
the topics, runs the relay, a projection worker and a reactor (notifications, report
requests and, unless VERACHAIN_AI_AGENTS=off, AI assessment and bid flagging), prints a
token per role, drives demo traffic, and keeps running until Ctrl-C (or stops after the
demo with --once)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import urllib.request
from dataclasses import dataclass
from http import HTTPStatus

import click
from prometheus_client import CollectorRegistry
from rich.console import Console
from rich.table import Table

from commands.actor import Role
from infra.audit_runner import checkpoint_signer
from infra.bootstrap import init_database
from infra.cli.demo_command import drive_demo, print_report
from infra.cli.topics_command import create_topics
from infra.dev_stack import dev_services, one_machine_env
from infra.read_model_status import read_model_lag
from infra.relay_runner import run_relay
from infra.settings import Settings
from infra.tokens import issue_token, load_or_create_secret


@click.command()
@click.option("--products", default=20, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--auctions", default=5, show_default=True, type=click.IntRange(0, 1_000))
@click.option("--bidders", default=8, show_default=True, type=click.IntRange(1, 1_000))
@click.option("--seconds", default=8.0, show_default=True, type=click.FloatRange(0.5, 3600))
@click.option("--once", is_flag=True, help="Stop after the demo instead of running on.")
def dev(products: int, auctions: int, bidders: int, seconds: float, once: bool) -> None:
    """Start (or connect to) every service and process, and run demo traffic."""
    console = Console()
    base = Settings.from_env()
    with dev_services(base) as services:
        settings = services.settings
        for service, origin in services.origins.items():
            console.print(f"[bold]{service}[/]: {origin}")
        init_database(settings)
        assert settings.kafka_bootstrap is not None
        created = asyncio.run(create_topics(settings.kafka_bootstrap, settings.kafka_partitions))
        console.print(f"[bold]event store[/]: schema ready; topics created: {len(created)}")
        secret = base.jwt_secret or load_or_create_secret(base.data_dir)
        if not base.jwt_secret:
            console.print(f"[bold]JWT secret[/]: development secret in {base.data_dir}/jwt_secret")
        print_tokens(console, secret)
        plan = DemoPlan(products, auctions, bidders, seconds)
        asyncio.run(run_processes(console, settings, plan, once=once))


def print_tokens(console: Console, secret: str) -> None:
    tokens = Table(title="bearer tokens (12 h)", show_header=True)
    tokens.add_column("role")
    tokens.add_column("token", overflow="fold")
    for role in (Role.MANUFACTURER, Role.INSPECTOR, Role.BIDDER, Role.AUDITOR, Role.ADMIN):
        tokens.add_row(role.value, issue_token(secret, f"dev-{role.value}", [role]))
    console.print(tokens)


@dataclass(frozen=True)
class DemoPlan:
    products: int
    auctions: int
    bidders: int
    seconds: float


async def run_processes(
    console: Console, settings: Settings, plan: DemoPlan, *, once: bool
) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    relay = asyncio.create_task(run_relay(settings, stop, CollectorRegistry()))
    processes = {kind: start_worker(settings, kind) for kind in ("worker", "reactor")}
    api = processes["api"] = start_api(settings)
    children = list(processes.values())
    running = "   ".join(f"[bold]{kind}[/]: pid {p.pid}" for kind, p in processes.items())
    console.print(f"[bold]relay[/] and audit log: running   {running}")
    console.print(f"[bold]audit log key[/]: {checkpoint_signer(settings).verifier_key}")
    try:
        await wait_for_api(settings, api)
        base_url = f"http://127.0.0.1:{settings.api_port}"
        console.print(f"[bold]API[/]: {base_url}/graphql (GraphiQL)   {base_url}/ready")
        console.print(
            f"[bold]dashboard[/]: {base_url}/   [bold]checkpoint[/]: {base_url}/audit/checkpoint"
        )
        report = await drive_demo(
            settings, plan.products, plan.auctions, plan.bidders, plan.seconds
        )
        print_report(console, report, "through the command bus")
        lag = await wait_for_read_model(settings, stop)
        console.print(f"[bold]read model[/]: {lag} aggregates behind the event store")
        if not once:
            console.print("running; Ctrl-C stops everything")
            await stop.wait()
    finally:
        stop.set()
        await relay
        for process in children:
            process.send_signal(signal.SIGTERM)
        for process in children:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=20)
            if process.poll() is None:
                process.kill()
        console.print("stopped")


def start_api(settings: Settings) -> subprocess.Popen[bytes]:
    env = {**os.environ, **settings.to_env()}
    return subprocess.Popen([sys.executable, "-m", "infra.cli", "api"], env=env)


async def wait_for_api(
    settings: Settings, api: subprocess.Popen[bytes], timeout_s: float = 60
) -> None:
    """Until the API answers /ready (its services are up); fail if it exits or never does."""
    url = f"http://127.0.0.1:{settings.api_port}/ready"
    deadline = asyncio.get_running_loop().time() + timeout_s
    while asyncio.get_running_loop().time() < deadline:
        if api.poll() is not None:
            msg = f"the API exited with code {api.returncode} (is port {settings.api_port} free?)"
            raise RuntimeError(msg)
        if await asyncio.to_thread(_answers, url):
            return
        await asyncio.sleep(0.2)
    msg = f"the API did not become ready on port {settings.api_port} within {timeout_s:.0f} s"
    raise RuntimeError(msg)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own URL
            return bool(response.status == HTTPStatus.OK)
    except (OSError, ValueError):
        return False


def start_worker(settings: Settings, kind: str) -> subprocess.Popen[bytes]:
    """`verachain worker` or `verachain reactor`, without a metrics port (one machine); the
    reactor yields the shared cores to the read path (VERACHAIN_REACTOR_NICENESS)."""
    env = one_machine_env(settings)
    return subprocess.Popen([sys.executable, "-m", "infra.cli", kind], env=env)  # noqa: S603 - worker|reactor


async def wait_for_read_model(
    settings: Settings, stop: asyncio.Event, timeout_s: float = 60
) -> int:
    """Wait (bounded) until the read model has caught up with the store; return the lag."""
    assert settings.database_url is not None
    lag = await asyncio.to_thread(read_model_lag, settings.database_url)
    for _ in range(int(timeout_s * 5)):
        if lag == 0 or stop.is_set():
            break
        await asyncio.sleep(0.2)
        lag = await asyncio.to_thread(read_model_lag, settings.database_url)
    return lag
