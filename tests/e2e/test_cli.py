"""The `verachain` command line, run as a user would: a separate process, real PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg

from commands.actor import Role
from infra.tokens import verify_token
from tests.support.database import TestDatabase


def run_cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "infra.cli", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def cli_env(database: TestDatabase, tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["VERACHAIN_DATABASE_URL"] = database.url
    env["VERACHAIN_DATA_DIR"] = str(tmp_path / "data")
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    env.pop("VERACHAIN_JWT_SECRET", None)
    return env


def test_token_is_signed_with_the_dev_secret(test_database: TestDatabase, tmp_path: Path) -> None:
    env = cli_env(test_database, tmp_path)
    done = run_cli(
        "token", "--sub", "alice", "--role", "bidder", "--role", "admin", env=env, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    secret = (tmp_path / "data" / "jwt_secret").read_text().strip()
    actor = verify_token(secret, done.stdout.strip())
    assert actor.id == "alice"
    assert actor.roles == frozenset({Role.BIDDER, Role.ADMIN})


def test_bad_input_is_one_line_and_exit_2(test_database: TestDatabase, tmp_path: Path) -> None:
    env = cli_env(test_database, tmp_path)
    done = run_cli(
        "token", "--sub", "alice", "--role", "bidder", "--ttl-hours", "-1", env=env, cwd=tmp_path
    )
    assert done.returncode == 2
    assert "error:" in done.stderr
    assert "Traceback" not in done.stderr
    bad_role = run_cli("token", "--sub", "x", "--role", "emperor", env=env, cwd=tmp_path)
    assert bad_role.returncode == 2
    assert "emperor" in bad_role.stderr


def test_demo_drives_the_whole_story_into_the_store(
    test_database: TestDatabase, tmp_path: Path
) -> None:
    env = cli_env(test_database, tmp_path)
    with psycopg.connect(test_database.url) as conn:
        before = conn.execute("SELECT count(*) FROM verachain_events").fetchone()
    done = run_cli(
        "demo",
        "--products",
        "6",
        "--auctions",
        "2",
        "--bidders",
        "3",
        "--seconds",
        "2",
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "auctions sold / unsold" in done.stdout
    with psycopg.connect(test_database.url) as conn:
        after = conn.execute("SELECT count(*) FROM verachain_events").fetchone()
        topics = {
            row[0] for row in conn.execute("SELECT DISTINCT topic FROM verachain_events").fetchall()
        }
    assert before is not None
    assert after is not None
    assert after[0] > before[0]
    assert {"ProductRegistered", "CertificateIssued", "AuctionOpened", "AuctionClosed"} <= topics


def test_db_init_is_idempotent(test_database: TestDatabase, tmp_path: Path) -> None:
    env = cli_env(test_database, tmp_path)
    first = run_cli("db", "init", env=env, cwd=tmp_path)
    second = run_cli("db", "init", env=env, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
