"""The `backup` job handler: payload `{"slot": "<ISO 8601 UTC>"}`, written to
`<VERACHAIN_DATA_DIR>/backups/<slot name>/` (streams/backups/backup_directory.py).

Idempotent per job: the slot names the directory, and a complete one is never written
again, so a redelivered job does nothing but prune."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime

from infra.audit_tools import AuditToolError, log_verifier_key
from infra.settings import Settings
from projections.signed_note import verifier_key
from streams.backups.backup_directory import write_scheduled_backup
from streams.jobs.job import Job

log = logging.getLogger(__name__)


class InvalidBackupJob(ValueError):
    """A backup job without a UTC `slot` (retrying cannot fix it; it ends in dead letters)."""


def job_slot(job: Job) -> datetime:
    raw = job.payload.get("slot")
    try:
        slot = datetime.fromisoformat(str(raw))
    except ValueError as e:
        raise InvalidBackupJob(f"backup job {job.job_id}: slot {raw!r} is not ISO 8601") from e
    if slot.tzinfo is None:
        raise InvalidBackupJob(f"backup job {job.job_id}: slot {raw!r} has no time zone")
    return slot


def installation_key(settings: Settings) -> str | None:
    """This installation's audit log verifier key, copied into the backup so a restore can
    check the checkpoint without being told the key; None where the key is not on this
    machine (the relay's data directory), and then `restore --log-key` supplies it."""
    try:
        key = log_verifier_key(settings, None)
    except AuditToolError:
        return None
    return verifier_key(key.name, key.public_key)


class ScheduledBackup:
    """The `backup` handler. The backup reads the whole store and compresses it, seconds to
    minutes of CPU: in a child process, so neither the worker's event loop (projection,
    heartbeats) nor, through the GIL, its projection threads are held back meanwhile. A
    fresh process per job (spawned, not forked from a process with a running loop and
    open connections); a nightly job can afford its second of start-up."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def __call__(self, job: Job) -> None:
        slot = job_slot(job)
        key = await asyncio.to_thread(installation_key, self.settings)
        spawn = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as child:
            result = await asyncio.get_running_loop().run_in_executor(
                child, write_scheduled_backup, self.settings, slot, key
            )
        log.info(
            "backup job %s: %s (%s)%s",
            job.job_id,
            result.outcome.value,
            result.path,
            f"; pruned {', '.join(result.pruned)}" if result.pruned else "",
        )
