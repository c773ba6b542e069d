"""`verachain api`: the GraphQL and WebSocket API on VERACHAIN_API_PORT (default 5001)."""

from __future__ import annotations

import click
import uvicorn

from infra.runtime import tune_gc_for_latency
from infra.service_process import start_service_process
from infra.settings import Settings

# uvicorn waits forever for open WebSockets at SIGTERM unless told not to (FINDINGS.md).
GRACEFUL_SHUTDOWN_S = 5


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), default=None, help="[VERACHAIN_API_PORT]")
@click.option("--no-graphiql", is_flag=True, help="Serve no GraphiQL page (production).")
@click.pass_context
def api(ctx: click.Context, host: str, port: int | None, no_graphiql: bool) -> None:
    """Serve /graphql, /ws, /health, /ready and /metrics until SIGINT/SIGTERM."""
    from api.app import create_app  # the API's imports are only for this command

    start_service_process("api", verbose=bool(ctx.obj and ctx.obj.get("verbose")))
    settings = Settings.from_env()
    app = create_app(settings, graphiql=not no_graphiql)
    tune_gc_for_latency()
    uvicorn.run(
        app,
        host=host,
        port=settings.api_port if port is None else port,
        log_level="warning",
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
        # Live updates are ~300-byte JSON: compressing them per connection doubled the
        # memory of an idle subscriber (80 vs 39 KiB) and slowed a 10,000-way fan-out.
        ws_per_message_deflate=False,
    )
