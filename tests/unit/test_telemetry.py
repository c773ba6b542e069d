"""Tracing is configured by OTEL_* (off when unset); JSON log lines carry the trace."""

from __future__ import annotations

import json
import logging

from opentelemetry.sdk.trace import TracerProvider

from infra.json_logs import JsonFormatter
from infra.telemetry import tracing_wanted


def test_tracing_is_off_unless_the_environment_asks() -> None:
    assert tracing_wanted({}) is None
    assert tracing_wanted({"OTEL_TRACES_EXPORTER": "none"}) is None
    assert tracing_wanted({"OTEL_TRACES_EXPORTER": "console"}) == "console"
    assert tracing_wanted({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}) == "otlp"
    assert (
        tracing_wanted(
            {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_TRACES_EXPORTER": "none"}
        )
        is None
    )


def _record(message: str) -> logging.LogRecord:
    return logging.LogRecord("verachain.test", logging.WARNING, __file__, 1, message, (), None)


def test_a_log_line_is_json_with_the_current_trace() -> None:
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("work") as span:
        line = json.loads(JsonFormatter().format(_record("bid refused: 'too low' <x>")))
    context = span.get_span_context()
    assert line["message"] == "bid refused: 'too low' <x>"
    assert line["level"] == "WARNING"
    assert line["trace_id"] == f"{context.trace_id:032x}"
    assert line["span_id"] == f"{context.span_id:016x}"


def test_outside_a_span_there_is_no_trace_id() -> None:
    line = json.loads(JsonFormatter().format(_record("starting")))
    assert "trace_id" not in line
    assert line["logger"] == "verachain.test"
