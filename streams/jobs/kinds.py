"""The job kinds this deployment runs and their handlers (the composition root of jobs).

Idempotency per kind (delivery is at-least-once):
- notification: the outbox row's unique job id; a job whose row says 'sent' sends nothing.
- ai-analysis: the Verification aggregate takes one assessment; a job that finds it
  recorded (or loses the race to one) is done.
"""

from __future__ import annotations

from infra.settings import Settings
from streams.ai_analysis.analysis_kind import analysis_opener
from streams.jobs.job_topics import AI_ANALYSIS, NOTIFICATION
from streams.jobs.registry import JobRegistry
from streams.notifications.notification_kind import outbox_opener


def production_registry(settings: Settings) -> JobRegistry:
    registry = JobRegistry()
    registry.register(NOTIFICATION, outbox_opener(settings))
    registry.register(AI_ANALYSIS, analysis_opener(settings))
    return registry
