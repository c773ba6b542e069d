"""The Kafka topics of CONTRACT.md and the project's own, with their partition counts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from domain.catalog import TOPIC_BY_AGGREGATE
from streams.jobs.job_topics import JOB_KINDS, dead_topic, job_topic, retry_topic

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
    specs += job_topic_specs(JOB_KINDS, partitions)
    return specs


def job_topic_specs(kinds: Iterable[str], partitions: int) -> list[TopicSpec]:
    """Per job kind: jobs and retries spread over `partitions` (up to that many workers
    share a kind); dead letters are rare and read in order by `jobs retry-dead`: one."""
    specs: list[TopicSpec] = []
    for kind in kinds:
        specs += [
            TopicSpec(job_topic(kind), partitions, "job id", f"{kind} jobs"),
            TopicSpec(retry_topic(kind), partitions, "job id", f"{kind} jobs awaiting retry"),
            TopicSpec(dead_topic(kind), 1, "job id", f"{kind} jobs out of attempts"),
        ]
    return specs


def topic_for_aggregate(aggregate_type: str) -> str:
    return TOPIC_BY_AGGREGATE[aggregate_type]
