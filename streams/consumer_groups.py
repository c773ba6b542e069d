"""The Kafka consumer groups of the two stream process kinds, and which group runs which
job kind (`verachain jobs status` reads a kind's depth from the group that consumes it)."""

from __future__ import annotations

from infra.settings import Settings
from streams.jobs.job_topics import AI_ANALYSIS

WORKER_GROUP = "verachain-projections"
SCORING_GROUP = "verachain-scoring"
SCORER_JOB_KINDS = frozenset({AI_ANALYSIS})  # streams/jobs/kinds.py scoring_registry


def worker_group(settings: Settings) -> str:
    """`verachain worker`'s group (VERACHAIN_WORKER_GROUP overrides it)."""
    return settings.worker_group or WORKER_GROUP


def scoring_group(settings: Settings) -> str:
    """`verachain scorer`'s group: beside a configured worker group, if any (tests give
    each worker a group of its own; the scorer next to it follows)."""
    return f"{settings.worker_group}-scoring" if settings.worker_group else SCORING_GROUP


def job_group(settings: Settings, kind: str) -> str:
    """The group whose agents run jobs of `kind`."""
    return scoring_group(settings) if kind in SCORER_JOB_KINDS else worker_group(settings)
