"""The W3C `traceparent` header of every published event.

An event's trace is its command's correlation: the trace id is the correlation id's 128
bits, the parent span id the low 64 bits of its causation id (the command or event that
caused it). So every event of one command, and of the commands it set off, share one
trace in a consumer's tracing system, with nothing to store beyond the envelope; when the
API runs under OpenTelemetry it issues correlation ids from its trace ids (issue #4), and
the events continue the request's trace."""

from __future__ import annotations

from uuid import UUID

from opentelemetry.trace import SpanContext, TraceFlags

VERSION = "00"
SAMPLED = "01"
_SPAN_BITS = (1 << 64) - 1


def traceparent(correlation_id: UUID, causation_id: UUID) -> str:
    """`00-<trace id>-<parent span id>-01`. All-zero ids are invalid in W3C trace context;
    a UUID4 is never all zero, and a span id that is gets bit 0 set."""
    trace_id = correlation_id.int or 1
    span_id = (causation_id.int & _SPAN_BITS) or 1
    return f"{VERSION}-{trace_id:032x}-{span_id:016x}-{SAMPLED}"


def span_context(correlation_id: UUID, causation_id: UUID) -> SpanContext:
    """The remote span a consumer links to: the same ids as the `traceparent` header."""
    return SpanContext(
        trace_id=correlation_id.int or 1,
        span_id=(causation_id.int & _SPAN_BITS) or 1,
        is_remote=True,
        trace_flags=TraceFlags(TraceFlags.SAMPLED),
    )
