"""One trace from the HTTP request to Kafka: the mutation's span, the command's span as its
child, and the `traceparent` header of the event on Kafka continuing that trace."""

from __future__ import annotations

import uuid

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from commands.actor import Role
from streams.topics import event_topics
from tests.integration.api.conftest import RunningApi
from tests.support.kafka import read_all


def _exporter() -> InMemorySpanExporter:
    """This process's tracer provider, recording in memory (set once per process)."""
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


async def test_a_mutation_is_one_trace_from_http_to_kafka(running_api: RunningApi) -> None:
    exporter = _exporter()
    api = running_api
    serial = f"SN-{uuid.uuid4().hex[:8]}"
    body = await api.graphql(
        """mutation($s: String!) { registerProduct(input: {sku: "T", serialNumber: $s,
        name: "traced", manufacturer: "m"}) { productId position } }""",
        {"s": serial},
        api.token("acme", Role.MANUFACTURER),
    )
    assert not body.get("errors"), body
    spans = {span.name: span for span in exporter.get_finished_spans()}
    operation, command = spans["graphql mutation"], spans["command RegisterProduct"]
    assert command.parent is not None
    assert command.parent.span_id == operation.context.span_id
    assert command.context.trace_id == operation.context.trace_id

    messages = await read_all(api.settings.kafka_bootstrap or "", event_topics(), expect_at_least=1)
    registered = [
        m
        for m in messages
        if m.envelope["aggregate_id"] == body["data"]["registerProduct"]["productId"]
    ]
    assert registered
    expected = f"00-{command.context.trace_id:032x}-{command.context.span_id:016x}-01"
    assert registered[0].headers["traceparent"].decode() == expected
