"""`python -m tests.support.job_worker`: the job agents with two test kinds whose handlers
keep their effects in PostgreSQL (tables made by tests/integration/jobs/conftest.py):

- `test-flaky` fails while `attempt <= payload["fail_times"]`, then records its effect;
- `test-broken` fails until the test puts the job's id in test_jobs_fixed."""

from __future__ import annotations

import psycopg

from infra.settings import Settings
from streams.jobs.job import Job
from streams.jobs.registry import JobRegistry
from streams.jobs.standalone import run_jobs_worker

FLAKY = "test-flaky"
BROKEN = "test-broken"


class Broken(RuntimeError):
    pass


def failing_kinds_registry(database_url: str) -> JobRegistry:
    async def record_run(job: Job, ok: bool) -> None:
        async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
            await conn.execute(
                "INSERT INTO test_jobs_runs (job_id, attempt, ok) VALUES (%s, %s, %s)",
                (job.job_id, job.attempt, ok),
            )
            if ok:
                # The effect, idempotent per job id like every handler's must be.
                await conn.execute(
                    "INSERT INTO test_jobs_effects (job_id) VALUES (%s) ON CONFLICT DO NOTHING",
                    (job.job_id,),
                )

    async def flaky(job: Job) -> None:
        if job.attempt <= int(job.payload["fail_times"]):
            await record_run(job, ok=False)
            raise Broken(f"flaky failure on attempt {job.attempt}")
        await record_run(job, ok=True)

    async def broken(job: Job) -> None:
        async with await psycopg.AsyncConnection.connect(database_url) as conn:
            cursor = await conn.execute(
                "SELECT 1 FROM test_jobs_fixed WHERE job_id = %s", (job.job_id,)
            )
            fixed = await cursor.fetchone() is not None
        if not fixed:
            await record_run(job, ok=False)
            raise Broken("the broken handler always fails")
        await record_run(job, ok=True)

    registry = JobRegistry()
    registry.register_function(FLAKY, flaky)
    registry.register_function(BROKEN, broken)
    return registry


if __name__ == "__main__":
    settings = Settings.from_env()
    assert settings.database_url is not None
    run_jobs_worker(settings, failing_kinds_registry(settings.database_url), "verachain-test-jobs")
