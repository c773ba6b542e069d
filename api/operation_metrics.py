"""Request latency by GraphQL operation, for /metrics. The label is the operation's root
fields (`auction`, `placeBid`...), bounded by the schema: a client's own operation name
could be anything, and every distinct label value is a time series."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from graphql import FieldNode, OperationDefinitionNode
from prometheus_client import CollectorRegistry, Histogram
from strawberry.extensions import SchemaExtension

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
MAX_LABEL_FIELDS = 3


def batch_observer(registry: CollectorRegistry) -> Callable[[int, float], None]:
    """Observes the command bus's group-commit batches: how many commands share a commit."""
    sizes = Histogram(
        "verachain_bus_batch_commands",
        "Commands per group-commit batch of this process's command bus",
        buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512),
        registry=registry,
    )
    seconds = Histogram(
        "verachain_bus_batch_seconds", "Time to decide and commit one batch", registry=registry
    )

    def observe(size: int, took: float) -> None:
        sizes.observe(size)
        seconds.observe(took)

    return observe


def operation_histogram(registry: CollectorRegistry) -> Histogram:
    return Histogram(
        "verachain_api_operation_seconds",
        "GraphQL operation latency (HTTP), by operation type and root fields",
        ["type", "operation"],
        buckets=BUCKETS,
        registry=registry,
    )


class OperationMetrics(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        services = getattr(self.execution_context.context, "services", None)
        histogram = getattr(services, "operation_seconds", None)
        if histogram is None:
            return
        histogram.labels(*self._labels()).observe(time.perf_counter() - started)

    def _labels(self) -> tuple[str, str]:
        document = self.execution_context.graphql_document
        if document is None:
            return "invalid", "invalid"
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode):
                fields = sorted(
                    {
                        s.name.value
                        for s in definition.selection_set.selections
                        if isinstance(s, FieldNode)
                    }
                )
                root = self.execution_context.schema._schema.get_root_type(definition.operation)
                known = set(root.fields) if root is not None else set()
                # Only the schema's own names: an invalid query's names are the client's.
                if not fields or not set(fields) <= known:
                    return definition.operation.value, "invalid"
                return definition.operation.value, ",".join(fields[:MAX_LABEL_FIELDS])
        return "invalid", "invalid"
