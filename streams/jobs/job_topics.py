"""The three topics of a job kind and their partition counts."""

from __future__ import annotations

PREFIX = "verachain.jobs."
NOTIFICATION = "notification"
AI_ANALYSIS = "ai-analysis"
BACKUP = "backup"
REPORT = "report"
# The kinds `verachain topics create` makes topics for and `jobs status` shows. A new kind
# adds its name here and its handler in streams/jobs/kinds.py.
JOB_KINDS: tuple[str, ...] = (NOTIFICATION, AI_ANALYSIS, BACKUP, REPORT)


def job_topic(kind: str) -> str:
    return f"{PREFIX}{kind}"


def retry_topic(kind: str) -> str:
    return f"{PREFIX}{kind}.retry"


def dead_topic(kind: str) -> str:
    return f"{PREFIX}{kind}.dead"
