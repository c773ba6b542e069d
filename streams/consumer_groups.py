"""The Kafka consumer groups of the two stream process kinds (worker, reactor), and which
group runs which job kind (`verachain jobs status` reads a kind's depth from the group that
consumes it)."""

from __future__ import annotations

from infra.settings import Settings
from streams.jobs.job_topics import AI_ANALYSIS

WORKER_GROUP = "verachain-projections"
REACTOR_GROUP = "verachain-reactors"
REACTOR_JOB_KINDS = frozenset({AI_ANALYSIS})  # streams/jobs/kinds.py reactor_registry


def worker_group(settings: Settings) -> str:
    """`verachain worker`'s group (VERACHAIN_WORKER_GROUP overrides it)."""
    return settings.worker_group or WORKER_GROUP


def reactor_group(settings: Settings) -> str:
    """`verachain reactor`'s group: beside a configured worker group, if any (tests give
    each worker a group of its own; the reactor next to it follows)."""
    return f"{settings.worker_group}-reactors" if settings.worker_group else REACTOR_GROUP


def job_group(settings: Settings, kind: str) -> str:
    """The group whose agents run jobs of `kind`."""
    return reactor_group(settings) if kind in REACTOR_JOB_KINDS else worker_group(settings)
