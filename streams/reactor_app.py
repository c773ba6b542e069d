"""The Faust app of `verachain reactor`: the agents that react to events with side effects
(commands, jobs, e-mails), in a consumer group of their own.

Why not in `verachain worker`: Faust hands each message of a topic to every agent of the
app that subscribes to it and moves the group's offset only when all are done, so every
agent beside the projection costs it per message, and the slowest paces it. With the bid
scorer and the assessor beside the projection, the projection fell from ~4,600 to 180
events/s; the notifier and the report requester alone cost it a third (bench pipeline,
2026-11-27: 4,381 events/s for the projection alone, 3,298 with the notifier, 2,812 with
both). In a group of their own they read the same topics at their own pace, on the other
core, and their lag is theirs alone; the read models (and read-your-writes) never wait.

- the notifier: events -> outbox rows and `notification` jobs (run by the worker);
- the report requester: AuctionClosed -> a `report` job (run by the worker);
- unless VERACHAIN_AI_AGENTS=off, the AI agents: VerificationRequested -> an `ai-analysis`
  job, run here (OCR and image models, then RecordAIAssessment), and the bid flagger:
  BidPlaced -> bid-anomaly score -> FlagBid.
"""

from __future__ import annotations

import faust
from prometheus_client import CollectorRegistry

from infra.bootstrap import NotConfigured
from infra.settings import Settings
from streams.ai_analysis.analysis_kind import install_analysis_requester
from streams.bid_scoring.bid_agent import install_bid_flagger
from streams.consumer_groups import reactor_group
from streams.faust_fetch_wait import limit_fetch_wait
from streams.jobs.agents import install_job_agents
from streams.jobs.job_metrics import JobMetrics
from streams.jobs.kinds import reactor_registry
from streams.notifications.notifier_agent import install_notifier
from streams.reports.report_kind import install_report_requester
from streams.worker_app import FETCH_MAX_WAIT_MS, faust_options


def create_reactor_app(settings: Settings, registry: CollectorRegistry) -> faust.App:
    if not settings.kafka_bootstrap:
        raise NotConfigured("VERACHAIN_KAFKA_BOOTSTRAP is not set (or run `verachain dev`)")
    if not settings.database_url:
        raise NotConfigured("VERACHAIN_DATABASE_URL must be set")
    limit_fetch_wait(FETCH_MAX_WAIT_MS)
    options = faust_options(settings)
    options["datadir"] = str(settings.data_dir / "faust-reactor")
    app = faust.App(reactor_group(settings), **options)
    install_notifier(app, settings)
    install_report_requester(app, settings)
    install_job_agents(app, settings, reactor_registry(settings), JobMetrics(registry))
    if settings.ai_agents:
        install_analysis_requester(app, settings)
        install_bid_flagger(app, settings)
    return app
