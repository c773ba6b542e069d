"""`verachain audit` run as an auditor runs it: separate processes against a history the
audit log (in this process, with the installation's own key in the CLI's data directory)
has logged and signed. The key it prints opens the checkpoints; verify passes, also against
an earlier checkpoint the auditor kept; a proof printed for one event checks out with
nothing but its own text and that key. An event rewritten or deleted in PostgreSQL makes
verify fail naming its leaf; bad input is exit 2 and one line."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from infra.audit_runner import checkpoint_signer
from infra.bootstrap import build_bus, build_event_store
from infra.settings import Settings
from projections.checkpoint import parse_checkpoint
from projections.jcs import canonical_json
from projections.merkle_verify import verify_inclusion
from projections.read_rows import Envelope
from projections.signed_note import open_note, parse_verifier_key
from projections.tlog_proof import parse_tlog_proof
from streams.audit_log import AuditConfig, AuditLog
from streams.audit_schema import ensure_audit_schema
from streams.audit_store import AuditStore, StoredCheckpoint
from streams.history_reader import history_batches
from tests.e2e.test_cli import cli_env, run_cli
from tests.integration.rebuild.support import traffic
from tests.support.database import TestDatabase, provision_test_database

Pool = AsyncConnectionPool[AsyncConnection[Any]]


@dataclass(frozen=True)
class LoggedHistory:
    envelopes: list[Envelope]  # the store's history, in store order
    checkpoints: list[StoredCheckpoint]  # oldest first


@pytest.fixture
def own_database(tmp_path: Path) -> Iterator[TestDatabase]:
    """Its own database: two of these tests rewrite stored events."""
    database = provision_test_database(tmp_path / "embedded-pg")
    try:
        yield database
    finally:
        database.drop()


@pytest.fixture
def env(own_database: TestDatabase, tmp_path: Path) -> dict[str, str]:
    return cli_env(own_database, tmp_path)


@pytest.fixture
def settings(own_database: TestDatabase, env: dict[str, str]) -> Settings:
    """This process's view of what the CLI sees: same database, same data directory."""
    return own_database.settings(data_dir=Path(env["VERACHAIN_DATA_DIR"]))


async def _no_wait(seconds: float) -> None:
    return None


@pytest.fixture
async def logged(settings: Settings) -> LoggedHistory:
    """Bids through the bus, logged and signed twice (an early and a final checkpoint) by
    the audit log with the installation's key (created here in the CLI's data dir)."""
    assert settings.database_url is not None
    store = build_event_store(settings)
    try:
        async with (
            build_bus(settings, store) as bus,
            AsyncConnectionPool(settings.database_url, min_size=1, max_size=3) as pool,
        ):
            audit_log = AuditLog(
                settings,
                store,
                pool,
                checkpoint_signer(settings),
                wait=_no_wait,
                config=AuditConfig(checkpoint_interval_s=0),
            )
            await ensure_audit_schema(pool)
            await audit_log.resume()
            bidding = await traffic(bus, auctions=3, rounds=1)
            await audit_log.step()
            await bidding.rounds(bus, 2)
            await audit_log.step()
            checkpoints = await AuditStore(pool).checkpoints()
        envelopes = [e for batch in history_batches(store) for e in batch]
    finally:
        store.close()
    assert len(checkpoints) == 2
    assert checkpoints[-1].tree_size == len(envelopes)
    return LoggedHistory(envelopes, checkpoints)


def _one_line_error(stderr: str) -> str:
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


def test_key_verify_and_prove_hold_for_the_logged_history(
    logged: LoggedHistory, settings: Settings, env: dict[str, str], tmp_path: Path
) -> None:
    key = run_cli("audit", "key", env=env, cwd=tmp_path)
    assert key.returncode == 0, key.stderr
    printed_key = key.stdout.strip()
    assert printed_key == checkpoint_signer(settings).verifier_key
    assert printed_key.startswith("verachain/audit/v1+")

    verified = run_cli("audit", "verify", "-q", env=env, cwd=tmp_path)
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout == (
        f"audit verify: OK: {len(logged.envelopes)} events from the event store, "
        "2 signed checkpoints hold\n"
    )

    kept = tmp_path / "kept-checkpoint.note"
    kept.write_text(logged.checkpoints[0].note, "utf-8")
    # Without -q: the progress bar is drawn too.
    trusted = run_cli("audit", "verify", "--trusted-checkpoint", str(kept), env=env, cwd=tmp_path)
    assert trusted.returncode == 0, trusted.stderr
    assert "Traceback" not in trusted.stderr
    assert trusted.stdout == verified.stdout

    # A bid logged after the first checkpoint: its proof is against the second one.
    first_size = logged.checkpoints[0].tree_size
    index = next(
        i for i, e in enumerate(logged.envelopes) if i >= first_size and e["type"] == "BidPlaced"
    )
    envelope = logged.envelopes[index]
    proved = run_cli("audit", "prove", str(envelope["event_id"]), env=env, cwd=tmp_path)
    assert proved.returncode == 0, proved.stderr
    proof = parse_tlog_proof(proved.stdout)
    assert proof.index == index
    assert proof.extra == canonical_json(envelope)
    assert json.loads(proof.extra) == envelope
    # The auditor's check, from the proof's text and the printed key alone.
    checkpoint = parse_checkpoint(open_note(proof.checkpoint_note, parse_verifier_key(printed_key)))
    assert checkpoint.size == logged.checkpoints[1].tree_size
    leaf = hashlib.sha256(b"\x00" + proof.extra).digest()
    assert verify_inclusion(leaf, proof.index, checkpoint.size, proof.hashes, checkpoint.root)
    doctored = hashlib.sha256(b"\x00" + proof.extra.replace(b"BidPlaced", b"BidPlacid")).digest()
    assert not verify_inclusion(
        doctored, proof.index, checkpoint.size, proof.hashes, checkpoint.root
    )
    assert not verify_inclusion(
        leaf, proof.index - 1, checkpoint.size, proof.hashes, checkpoint.root
    )


def test_bad_input_is_exit_2_and_one_line(
    logged: LoggedHistory, env: dict[str, str], tmp_path: Path
) -> None:
    garbage_key = run_cli("audit", "verify", "-q", "--log-key", "garbage", env=env, cwd=tmp_path)
    assert garbage_key.returncode == 2, garbage_key.stderr
    assert _one_line_error(garbage_key.stderr).startswith("audit verify: --log-key: ")

    unknown = str(uuid.uuid4())
    not_logged = run_cli("audit", "prove", unknown, env=env, cwd=tmp_path)
    assert not_logged.returncode == 2, not_logged.stderr
    assert not_logged.stdout == ""
    assert unknown in _one_line_error(not_logged.stderr)

    not_an_id = run_cli("audit", "prove", "not-an-event-id", env=env, cwd=tmp_path)
    assert not_an_id.returncode == 2, not_an_id.stderr
    assert not_an_id.stdout == ""
    assert "not-an-event-id" in _one_line_error(not_an_id.stderr)


def test_an_event_rewritten_in_postgresql_fails_verify_naming_its_leaf(
    logged: LoggedHistory, own_database: TestDatabase, env: dict[str, str], tmp_path: Path
) -> None:
    bids = [i for i, e in enumerate(logged.envelopes) if e["type"] == "BidPlaced"]
    index = bids[2]
    position = int(logged.envelopes[index]["position"])
    with psycopg.connect(own_database.url) as conn:
        # The bid's actor rewritten in place: still a well-formed event, not the logged one.
        changed = conn.execute(
            "UPDATE verachain_events SET state = convert_to(regexp_replace("
            'convert_from(state, \'UTF8\'), \'"actor":"[^"]*"\', \'"actor":"mallory"\'), \'UTF8\') '
            "WHERE notification_id = %s",
            (position,),
        )
        assert changed.rowcount == 1

    done = run_cli("audit", "verify", "-q", env=env, cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
    assert done.stderr.splitlines()[0].startswith(
        f"audit verify: FAILED: leaf {index} (store position {position}, "
        f"event {logged.envelopes[index]['event_id']}): "
    )


def test_an_event_deleted_from_postgresql_fails_verify_naming_its_leaf(
    logged: LoggedHistory, own_database: TestDatabase, env: dict[str, str], tmp_path: Path
) -> None:
    index = 7
    position = int(logged.envelopes[index]["position"])
    with psycopg.connect(own_database.url) as conn:
        deleted = conn.execute(
            "DELETE FROM verachain_events WHERE notification_id = %s", (position,)
        )
        assert deleted.rowcount == 1

    done = run_cli("audit", "verify", "-q", env=env, cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
    # The event that moved up into the deleted one's leaf is the one that fails to match.
    assert done.stderr.splitlines()[0].startswith(f"audit verify: FAILED: leaf {index} ")
