"""Which consumer group runs what: `jobs status` reads each kind's depth from it."""

from __future__ import annotations

from infra.settings import Settings
from streams.consumer_groups import job_group, reactor_group, worker_group
from streams.jobs.job_topics import AI_ANALYSIS, JOB_KINDS, NOTIFICATION


def test_default_groups_are_distinct() -> None:
    settings = Settings()
    assert worker_group(settings) == "verachain-projections"
    assert reactor_group(settings) == "verachain-reactors"


def test_the_reactor_follows_a_configured_worker_group() -> None:
    settings = Settings(worker_group="site-a")
    assert (worker_group(settings), reactor_group(settings)) == ("site-a", "site-a-reactors")


def test_model_jobs_are_read_from_the_reactors_group_the_rest_from_the_workers() -> None:
    settings = Settings(worker_group="g")
    assert job_group(settings, AI_ANALYSIS) == "g-reactors"
    assert job_group(settings, NOTIFICATION) == "g"
    assert {job_group(settings, kind) for kind in JOB_KINDS} == {"g", "g-reactors"}
