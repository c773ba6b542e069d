"""OpenTelemetry tracing, configured by the standard OTEL_* variables and off when none is
set (the API's no-op tracer then costs next to nothing).

`OTEL_TRACES_EXPORTER=console` prints spans; `otlp` (or any `OTEL_EXPORTER_OTLP_*ENDPOINT`)
sends them over OTLP/HTTP; `none` turns tracing off. `OTEL_SERVICE_NAME` names the process
(default `verachain-<kind>`)."""

from __future__ import annotations

import os
from collections.abc import Mapping

from opentelemetry import trace

_ENDPOINTS = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
_configured = False


def tracing_wanted(env: Mapping[str, str]) -> str | None:
    """Which exporter the environment asks for, or None (tracing off)."""
    exporter = env.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if exporter == "none":
        return None
    if exporter:
        return exporter
    return "otlp" if any(env.get(name) for name in _ENDPOINTS) else None


def setup_tracing(kind: str, env: Mapping[str, str] | None = None) -> bool:
    """Install a tracer provider for this process if OTEL_* asks for one (once)."""
    global _configured  # noqa: PLW0603 - one provider per process, as OpenTelemetry requires
    env = os.environ if env is None else env
    exporter_name = tracing_wanted(env)
    if _configured or exporter_name is None:
        return _configured
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import (
        BatchSpanProcessor,
        ConsoleSpanExporter,
        SpanExporter,
    )

    exporter: SpanExporter
    if exporter_name == "console":
        exporter = ConsoleSpanExporter()
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter()
    name = env.get("OTEL_SERVICE_NAME") or f"verachain-{kind}"
    provider = TracerProvider(resource=Resource.create({"service.name": name}))
    provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    _configured = True
    return True
