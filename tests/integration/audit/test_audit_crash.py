"""The audit log through a crash and beside a second writer. `verachain relay` is SIGKILLed
while its audit log is part-way through a large backlog (read by the parallel leaf reader)
with bids still coming in, then restarted; and two audit logs run at once on one database,
the writer stopping half-way. Either way the outcome must be one log: leaf i is the i-th
event in store order (dense indexes, ascending positions), its latest checkpoint has the
root anyone computes from the envelopes alone, every consecutive pair of checkpoints has a
consistency proof that verifies, and `audit verify` passes."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
from prometheus_client import CollectorRegistry
from psycopg_pool import AsyncConnectionPool

from commands.bus import CommandBus
from commands.store import EventStore
from infra.audit_runner import checkpoint_signer
from infra.audit_tools import verify
from infra.bench.relay_seed import SeedPlan, seed_history
from infra.settings import Settings
from projections.checkpoint import parse_checkpoint
from projections.jcs import canonical_json
from projections.merkle import leaf_hash, root
from projections.merkle_verify import verify_consistency
from projections.read_rows import Envelope
from projections.signed_note import VerifierKey, open_note, parse_verifier_key
from streams.audit_log import AuditConfig, AuditLog
from streams.audit_proofs import AuditProofs
from streams.audit_signer import CheckpointSigner
from streams.audit_store import AuditStore, StoredCheckpoint
from streams.history_reader import history_batches
from streams.parallel_history import PARALLEL_THRESHOLD
from tests.e2e.test_cli import cli_env, run_cli
from tests.integration.audit.conftest import Pool
from tests.integration.rebuild.support import Bidding, traffic
from tests.support.database import TestDatabase
from tests.support.kafka import KafkaTarget

REPO_ROOT = str(Path(__file__).resolve().parents[3])
BACKLOG = 25_000  # above the parallel leaf reader's threshold; ~2.5 s to seed
INTERVAL_S = 0.2


class RelayProcess:
    """`verachain relay` (relay + audit log) in a session of its own, so that whatever it
    started can be found by its process group after it is killed."""

    def __init__(self, settings: Settings, log_path: Path) -> None:
        self.log_path = log_path
        env = {
            **os.environ,
            **settings.to_env(),
            "VERACHAIN_RELAY_METRICS_PORT": "0",
            "VERACHAIN_AUDIT_CHECKPOINT_INTERVAL_S": str(INTERVAL_S),
            "PYTHONPATH": REPO_ROOT,
        }
        with log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "infra.cli", "relay"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]

    def kill(self) -> list[int]:
        """SIGKILL the relay process alone, as the OOM killer would; then give the helper
        processes it started (relay preparers, parallel leaf readers) time to notice and
        end. Returns those still alive after that time, and ends them."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        deadline = time.monotonic() + 10
        while (left := _live_members(self.process.pid)) and time.monotonic() < deadline:
            time.sleep(0.1)
        for pid in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        return left

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        return self.process.returncode


def _live_members(group: int) -> list[int]:
    """The processes of a process group that are alive (zombies, which a busy init may
    leave a while, do not count)."""
    members: list[int] = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat.read_text().rpartition(")")[2].split()
            if int(fields[2]) == group and fields[0] != "Z":  # state, ppid, pgrp
                members.append(int(stat.parent.name))
    return members


@dataclass
class BackgroundBids:
    """Bids through the bus, one after another, until stopped."""

    bidding: Bidding
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    placed: int = 0

    async def run(self, bus: CommandBus) -> None:
        for auction in itertools.cycle(self.bidding.auctions):
            if self.stop.is_set():
                return
            await self.bidding.bid(bus, auction)
            self.placed += 1
            await asyncio.sleep(0.005)


def _count(database_url: str, query: str) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute(query.encode()).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def _leaves(database_url: str) -> int:
    if not _count(database_url, "SELECT count(to_regclass('verachain_audit_leaves'))"):
        return 0
    return _count(database_url, "SELECT count(*) FROM verachain_audit_leaves")


def _events(database_url: str) -> int:
    return _count(database_url, "SELECT count(*) FROM verachain_events")


def _signed(database_url: str) -> int:
    """The tree size of the latest checkpoint (0 before the first)."""
    if not _count(database_url, "SELECT count(to_regclass('verachain_audit_checkpoints'))"):
        return 0
    return _count(database_url, "SELECT max(tree_size) FROM verachain_audit_checkpoints")


async def _until_covered(database_url: str, timeout_s: float, why: str) -> int:
    """Wait until a signed checkpoint covers every stored event (none coming in); the
    number of events."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        events = _events(database_url)
        if _signed(database_url) == events:
            return events
        await asyncio.sleep(0.05)
    raise AssertionError(f"no checkpoint covered the store in {timeout_s}s; {why}")


def _outsider_history(store: EventStore) -> list[Envelope]:
    return [e for batch in history_batches(store) for e in batch]


async def assert_one_dense_correct_log(
    store: EventStore, pool: Pool, key: VerifierKey
) -> list[StoredCheckpoint]:
    envelopes = await asyncio.to_thread(_outsider_history, store)
    async with pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT leaf_index, position, event_id FROM verachain_audit_leaves ORDER BY leaf_index"
        )
        logged = [(int(r[0]), int(r[1]), str(r[2])) for r in await cursor.fetchall()]
        cursor = await conn.execute(
            "SELECT idx, hash FROM verachain_audit_nodes WHERE level = 0 ORDER BY idx"
        )
        hashed = [(int(r[0]), bytes(r[1])) for r in await cursor.fetchall()]
    # Leaf i is the i-th event in store order: indexes dense, positions ascending.
    assert len(logged) == len(envelopes)
    assert logged == [(i, int(e["position"]), str(e["event_id"])) for i, e in enumerate(envelopes)]
    assert all(a[1] < b[1] for a, b in itertools.pairwise(logged))
    outsider = [leaf_hash(canonical_json(e)) for e in envelopes]
    assert hashed == list(enumerate(outsider))

    checkpoints = await AuditStore(pool).checkpoints()
    assert checkpoints[-1].tree_size == len(envelopes)
    assert checkpoints[-1].root == root(outsider)
    for checkpoint in checkpoints:
        signed = parse_checkpoint(open_note(checkpoint.note, key))
        assert (signed.size, signed.root) == (checkpoint.tree_size, checkpoint.root)
    proofs = AuditProofs(AuditStore(pool))
    for older, newer in itertools.pairwise(checkpoints):
        proof = await proofs.consistency(older.tree_size, newer.tree_size)
        assert verify_consistency(older.tree_size, newer.tree_size, proof, older.root, newer.root)
    return checkpoints


@pytest.fixture
def relay_settings(own_database: TestDatabase, kafka: KafkaTarget, tmp_path: Path) -> Settings:
    # The CLI's data dir (tests.e2e.test_cli.cli_env): the relay's key is audit verify's.
    return own_database.settings(
        relay_metrics_port=0, audit_checkpoint_interval_s=INTERVAL_S, data_dir=tmp_path / "data"
    ).with_kafka(kafka.bootstrap, embedded=kafka.embedded)


async def test_a_relay_killed_mid_backlog_resumes_into_one_correct_log(
    relay_settings: Settings,
    own_database: TestDatabase,
    store: EventStore,
    bus: CommandBus,
    pool: Pool,
    tmp_path: Path,
) -> None:
    url = own_database.url
    await seed_history(relay_settings, store, SeedPlan(BACKLOG), lambda _: None)
    assert _events(url) >= PARALLEL_THRESHOLD
    bids = BackgroundBids(await traffic(bus, auctions=2, rounds=0))
    bidding = asyncio.create_task(bids.run(bus))
    first = RelayProcess(relay_settings, tmp_path / "relay-1.log")
    try:
        # Kill it once the log has committed its first part of the backlog (one batch of
        # leaves and their subtrees per transaction), while it reads and writes the next.
        deadline = time.monotonic() + 60
        while _leaves(url) == 0:
            assert time.monotonic() < deadline, first.log_tail()
            assert first.process.poll() is None, first.log_tail()
            await asyncio.sleep(0.02)
        orphans = first.kill()
    finally:
        first.stop()
    assert orphans == [], "helper processes outlived the killed relay"
    assert first.process.returncode == -signal.SIGKILL
    leaves_at_kill, events_at_kill = _leaves(url), _events(url)
    assert 0 < leaves_at_kill < events_at_kill  # killed before it caught up
    assert _signed(url) == 0  # it signs once it has caught up, never on the way
    placed_at_kill = bids.placed
    assert placed_at_kill > 0  # bids were coming in while it appended

    second = RelayProcess(relay_settings, tmp_path / "relay-2.log")
    try:
        while bids.placed < placed_at_kill + 20:  # bids keep coming while it catches up
            assert not bidding.done()
            await asyncio.sleep(0.05)
        bids.stop.set()
        await bidding
        events = await _until_covered(url, 60, second.log_tail())
        assert second.process.poll() is None, second.log_tail()
    finally:
        stopped = second.stop()
    assert stopped == 0, second.log_tail()

    key = parse_verifier_key(checkpoint_signer(relay_settings).verifier_key)
    checkpoints = await assert_one_dense_correct_log(store, pool, key)
    assert checkpoints[-1].tree_size == events > BACKLOG
    verified = await asyncio.to_thread(
        run_cli, "audit", "verify", "-q", env=cli_env(own_database, tmp_path), cwd=tmp_path
    )
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.startswith(f"audit verify: OK: {events} events from the event store")


async def _sleep(seconds: float) -> None:
    await asyncio.sleep(seconds)


@dataclass
class RunningLog:
    log: AuditLog
    registry: CollectorRegistry
    stop: asyncio.Event
    task: asyncio.Task[None]

    def sample(self, name: str) -> float:
        return self.registry.get_sample_value(name) or 0.0


async def test_two_audit_logs_at_once_make_one_log(
    settings: Settings, store: EventStore, bus: CommandBus, pool: Pool, signer: CheckpointSigner
) -> None:
    assert settings.database_url is not None
    config = AuditConfig(checkpoint_interval_s=0.05, poll_s=0.05)
    async with (
        AsyncConnectionPool(settings.database_url, min_size=1, max_size=3) as pool_a,
        AsyncConnectionPool(settings.database_url, min_size=1, max_size=3) as pool_b,
    ):
        running: list[RunningLog] = []
        for own_pool in (pool_a, pool_b):
            registry, stop = CollectorRegistry(), asyncio.Event()
            log = AuditLog(
                settings, store, own_pool, signer, wait=_sleep, config=config, registry=registry
            )
            running.append(RunningLog(log, registry, stop, asyncio.create_task(log.run(stop))))
        try:
            bidding = await traffic(bus, auctions=3, rounds=2)
            await _until_covered(settings.database_url, 30, "with two logs running")
            await bidding.rounds(bus, 2)
            events = await _until_covered(settings.database_url, 30, "with two logs running")

            # One was elected and appended everything; the other never appended a leaf.
            appended = [r for r in running if r.log.frontier.size]
            assert len(appended) == 1, "both logs appended: no single writer was elected"
            (writer,) = appended
            (standby,) = [r for r in running if r is not writer]
            assert writer.log.frontier.size == events
            assert writer.sample("verachain_audit_tree_size") == events
            assert standby.log.frontier.size == 0
            assert standby.sample("verachain_audit_tree_size") == 0
            assert not standby.task.done()

            # The writer stops; the standby takes over and carries the same log on.
            writer.stop.set()
            await writer.task
            await bidding.rounds(bus, 2)
            events = await _until_covered(settings.database_url, 30, "after the handover")
            assert standby.log.frontier.size == events
            assert writer.log.frontier.size < events
        finally:
            for r in running:
                r.stop.set()
            await asyncio.gather(*(r.task for r in running))
        for r in running:
            assert r.sample("verachain_audit_failures_total") == 0

    key = parse_verifier_key(signer.verifier_key)
    checkpoints = await assert_one_dense_correct_log(store, pool, key)
    handover = [c for c in checkpoints if c.tree_size > writer.log.frontier.size]
    assert handover  # signed by the standby, consistent with the writer's (checked above)
    report = await verify(settings, key)
    assert report.problems == []
    assert (report.leaves, report.checkpoints) == (events, len(checkpoints))
