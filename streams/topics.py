"""The Kafka topics of CONTRACT.md and the project's own, with their partition counts."""

from __future__ import annotations

from dataclasses import dataclass

from domain.catalog import TOPIC_BY_AGGREGATE

AUDIT_CHECKPOINTS = "verachain.audit.checkpoints"
PROJECTION_DEAD_LETTERS = "verachain.projections.dead-letters"
# Created by the relay after the event topics and never produced to, so a broker can never
# auto-create it: when it is missing, the broker has lost its data (Tansu keeps nothing
# across restarts) and the relay republishes the history.
RELAY_MARKER = "verachain.relay.marker"


@dataclass(frozen=True, slots=True)
class TopicSpec:
    name: str
    partitions: int
    key: str
    purpose: str


def event_topics() -> list[str]:
    return sorted(set(TOPIC_BY_AGGREGATE.values()))


def topic_specs(partitions: int) -> list[TopicSpec]:
    """Every topic the project creates. Event topics share one partition count so that
    co-partitioned Faust agents can join them."""
    specs = [
        TopicSpec(name, partitions, "aggregate id", "domain events (envelopes)")
        for name in event_topics()
    ]
    specs.append(TopicSpec(AUDIT_CHECKPOINTS, 1, "origin", "signed audit checkpoints"))
    specs.append(
        TopicSpec(PROJECTION_DEAD_LETTERS, 1, "aggregate id", "events a projection could not apply")
    )
    specs.append(TopicSpec(RELAY_MARKER, 1, "-", "relay marker: its absence means data loss"))
    return specs


def topic_for_aggregate(aggregate_type: str) -> str:
    return TOPIC_BY_AGGREGATE[aggregate_type]
