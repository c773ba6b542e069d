"""Schedules: jobs enqueued at declared times of day by the worker group's leader, recorded in
PostgreSQL so each slot fires once across restarts and leader changes."""
