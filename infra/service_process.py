"""What every long-running service process (api, worker, relay) sets up first: JSON logs
and, when OTEL_* asks for it, tracing."""

from __future__ import annotations

import logging

from infra.json_logs import use_json_logs
from infra.telemetry import setup_tracing


def start_service_process(kind: str, *, verbose: bool = False) -> None:
    use_json_logs(logging.INFO if verbose else logging.WARNING)
    setup_tracing(kind)
