"""One span per GraphQL operation, current while it runs, so the command a mutation
dispatches is its child and the events it records carry its trace (api/mutations.py)."""

from __future__ import annotations

from collections.abc import Iterator

from opentelemetry import context, trace
from strawberry.extensions import SchemaExtension

_tracer = trace.get_tracer("verachain.api")


class OperationTracing(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        execution = self.execution_context
        operation = execution.operation_type.value
        span = _tracer.start_span(f"graphql {operation}", kind=trace.SpanKind.SERVER)
        span.set_attribute("graphql.operation.type", operation)
        if execution.operation_name:
            span.set_attribute("graphql.operation.name", execution.operation_name)
        token = context.attach(trace.set_span_in_context(span))
        try:
            yield
        finally:
            context.detach(token)
            span.end()
