"""The job kinds this deployment runs, which process kind runs them, and their handlers
(the composition root of jobs).

Two registries because two process kinds run jobs: `verachain worker` (light, I/O-bound
kinds beside the projection) and `verachain reactor` (the models: CPU-bound, hundreds of
milliseconds per job, in a consumer group of its own so they never pace the projection).

Idempotency per kind (delivery is at-least-once):
- notification: the outbox row's unique job id; a job whose row says 'sent' sends nothing.
- ai-analysis: the Verification aggregate takes one assessment; a job that finds it
  recorded (or loses the race to one) is done.
- backup: the slot names the backup's directory; a complete one is never written again.
- report: the report id is the job id; under a lock on it, a report whose index row and
  files exist is not written again (streams/reports/report_job.py).
"""

from __future__ import annotations

from infra.settings import Settings
from streams.ai_analysis.analysis_kind import analysis_opener
from streams.backups.backup_kind import ScheduledBackup
from streams.jobs.job_topics import AI_ANALYSIS, BACKUP, NOTIFICATION, REPORT
from streams.jobs.registry import JobRegistry
from streams.notifications.notification_kind import outbox_opener
from streams.reports.report_kind import report_opener


def worker_registry(settings: Settings) -> JobRegistry:
    """The kinds `verachain worker` runs."""
    registry = JobRegistry()
    registry.register(NOTIFICATION, outbox_opener(settings))
    registry.register_function(BACKUP, ScheduledBackup(settings))
    registry.register(REPORT, report_opener(settings))
    return registry


def reactor_registry(settings: Settings) -> JobRegistry:
    """The kinds `verachain reactor` runs (none when its AI agents are off)."""
    registry = JobRegistry()
    if settings.ai_agents:
        registry.register(AI_ANALYSIS, analysis_opener(settings))
    return registry
