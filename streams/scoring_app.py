"""The Faust app of `verachain scorer`: the model-driven agents, in a consumer group of
their own.

Why not in `verachain worker`: Faust hands each message of a topic to every agent of the
app that subscribes to it and moves the group's offset only when all are done, so the
slowest agent paces the rest. With the bid scorer and the assessor beside the projection,
the projection fell from ~4,600 to 180 events/s (bench pipeline, 2026-11-27). In their own
group they read the same topics at their own pace; their lag is theirs alone.

- the analysis requester: VerificationRequested (product topic) -> an `ai-analysis` job;
- the `ai-analysis` job agents (OCR and image models, then RecordAIAssessment);
- the bid flagger: BidPlaced (auction topic) -> bid-anomaly score -> FlagBid.
"""

from __future__ import annotations

import faust
from prometheus_client import CollectorRegistry

from infra.bootstrap import NotConfigured
from infra.settings import Settings
from streams.ai_analysis.analysis_kind import install_analysis_requester
from streams.bid_scoring.bid_agent import install_bid_flagger
from streams.consumer_groups import scoring_group
from streams.faust_fetch_wait import limit_fetch_wait
from streams.jobs.agents import install_job_agents
from streams.jobs.job_metrics import JobMetrics
from streams.jobs.kinds import scoring_registry
from streams.worker_app import FETCH_MAX_WAIT_MS, faust_options


def create_scoring_app(settings: Settings, registry: CollectorRegistry) -> faust.App:
    if not settings.kafka_bootstrap:
        raise NotConfigured("VERACHAIN_KAFKA_BOOTSTRAP is not set (or run `verachain dev`)")
    if not settings.database_url:
        raise NotConfigured("VERACHAIN_DATABASE_URL must be set")
    limit_fetch_wait(FETCH_MAX_WAIT_MS)
    options = faust_options(settings)
    options["datadir"] = str(settings.data_dir / "faust-scoring")
    app = faust.App(scoring_group(settings), **options)
    install_analysis_requester(app, settings)
    install_job_agents(app, settings, scoring_registry(settings), JobMetrics(registry))
    install_bid_flagger(app, settings)
    return app
