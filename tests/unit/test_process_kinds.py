"""What runs where: the projection is the only agent of `verachain worker` on the event
topics (every agent beside it costs it per message: streams/reactor_app.py), the agents
that react to events run in `verachain reactor`, and every job kind is run by exactly one
process kind, the one `jobs status` reads its depth from. Building the Faust apps does no
I/O, so this needs no services."""

from __future__ import annotations

from dataclasses import replace

import faust
import pytest
from prometheus_client import CollectorRegistry

from infra.settings import Settings
from streams.consumer_groups import REACTOR_JOB_KINDS
from streams.jobs.job_topics import JOB_KINDS, dead_topic, job_topic, retry_topic
from streams.reactor_app import create_reactor_app
from streams.topics import event_topics
from streams.worker_app import create_worker_app

SETTINGS = Settings(
    kafka_bootstrap="127.0.0.1:1",
    database_url="postgresql://nobody@127.0.0.1:1/none",
    redis_url="redis://127.0.0.1:1/0",
)
EVENT_TOPICS = set(event_topics())


def agents_by_topic(app: faust.App) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for name, agent in app.agents.items():
        for topic in agent.channel.topics:
            found.setdefault(topic, set()).add(name.rsplit(".", 1)[-1])
    return found


def job_kinds_run_by(app: faust.App) -> set[str]:
    topics = agents_by_topic(app)
    return {kind for kind in JOB_KINDS if job_topic(kind) in topics and retry_topic(kind) in topics}


def test_the_projection_is_the_only_agent_of_the_worker_on_the_event_topics() -> None:
    topics = agents_by_topic(create_worker_app(SETTINGS, CollectorRegistry()))
    for topic in EVENT_TOPICS:
        assert topics.get(topic) == {"project_events"}, topic


@pytest.mark.parametrize("ai_agents", [True, False])
def test_the_reactor_runs_the_agents_that_react_to_events(ai_agents: bool) -> None:
    app = create_reactor_app(replace(SETTINGS, ai_agents=ai_agents), CollectorRegistry())
    names = {name.rsplit(".", 1)[0] if name.startswith("jobs.") else name for name in app.agents}
    assert {"notifications.notifier", "reports.requester"} <= names
    ai = {"ai_analysis.requester", "bid_scoring.flagger", "jobs.ai-analysis"}
    assert (ai <= names) if ai_agents else not (ai & names)


def test_every_job_kind_runs_in_exactly_one_process_kind_the_one_its_depth_is_read_from() -> None:
    worker = job_kinds_run_by(create_worker_app(SETTINGS, CollectorRegistry()))
    reactor = job_kinds_run_by(create_reactor_app(SETTINGS, CollectorRegistry()))
    assert worker | reactor == set(JOB_KINDS)
    assert not worker & reactor
    assert reactor == REACTOR_JOB_KINDS


def test_no_agent_consumes_dead_letters() -> None:
    # Dead letters wait for `jobs retry-dead`; an agent on them would run them again.
    for make in (create_worker_app, create_reactor_app):
        topics = agents_by_topic(make(SETTINGS, CollectorRegistry()))
        assert not {dead_topic(kind) for kind in JOB_KINDS} & set(topics)
