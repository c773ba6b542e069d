"""`verachain projections rebuild|check` as a user runs them: separate processes, real
PostgreSQL and Redis (a database and a key prefix of this test's own)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from redis import Redis

from commands.actor import Actor, Role
from commands.messages import PlaceBid
from infra.bootstrap import build_bus, build_event_store
from infra.scenario import open_auctions
from tests.e2e.test_cli import cli_env, run_cli
from tests.support.database import TestDatabase, provision_test_database


@pytest.fixture
def own_database(tmp_path: Path) -> Iterator[TestDatabase]:
    database = provision_test_database(tmp_path / "pg")
    try:
        yield database
    finally:
        database.drop()


async def test_rebuild_then_check_and_a_corrupted_row_fails_the_check(
    own_database: TestDatabase, redis_url: str, tmp_path: Path
) -> None:
    store = build_event_store(own_database.settings())
    try:
        async with build_bus(own_database.settings(), store) as bus:
            opened = await open_auctions(bus, 2, now=datetime.now(UTC), duration=timedelta(hours=1))
            for auction in opened:
                await bus.dispatch(
                    PlaceBid(auction_id=auction.auction_id, amount=auction.reserve),
                    Actor.of("cli-bidder", Role.BIDDER),
                )
    finally:
        store.close()
    prefix = f"vc-cli-{uuid.uuid4().hex[:8]}"
    env = cli_env(own_database, tmp_path)
    env["VERACHAIN_REDIS_URL"] = redis_url
    redis = Redis.from_url(redis_url)
    try:
        rebuilt = run_cli("projections", "rebuild", "--redis-prefix", prefix, env=env, cwd=tmp_path)
        assert rebuilt.returncode == 0, rebuilt.stderr
        assert "rebuilt sql and redis" in rebuilt.stdout
        clean = run_cli("projections", "check", "--redis-prefix", prefix, env=env, cwd=tmp_path)
        assert clean.returncode == 0, clean.stdout + clean.stderr
        assert "read models match the event store" in clean.stdout

        with psycopg.connect(own_database.url) as conn:
            conn.execute(
                "UPDATE read_model.auctions SET status = 'BOGUS' WHERE id = %s",
                (opened[0].auction_id,),
            )
        failed = run_cli("projections", "check", "--redis-prefix", prefix, env=env, cwd=tmp_path)
        assert failed.returncode == 1
        assert "1 difference(s)" in failed.stdout
        assert "BOGUS" in failed.stdout
    finally:
        keys = list(redis.scan_iter(match=f"{prefix}:*"))
        if keys:
            redis.delete(*keys)
        redis.close()


def test_without_a_redis_url_redis_targets_fail_in_one_line(
    own_database: TestDatabase, tmp_path: Path
) -> None:
    env = cli_env(own_database, tmp_path)
    env.pop("VERACHAIN_REDIS_URL", None)

    refused = run_cli("projections", "check", env=env, cwd=tmp_path)
    assert refused.returncode == 2
    assert "VERACHAIN_REDIS_URL is not set" in refused.stderr
    assert "Traceback" not in refused.stderr

    sql_only = run_cli("projections", "check", "sql", env=env, cwd=tmp_path)
    assert sql_only.returncode == 0, sql_only.stdout + sql_only.stderr
