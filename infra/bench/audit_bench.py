"""`verachain bench audit`: the audit log over a seeded store of (by default) 1,000,000 real
events, all in one run:

1. integration: the empty log appends the whole store (leaves decoded and hashed by the
   history workers, the tree's nodes written with COPY), leaves/s;
2. inclusion proofs at that size: random leaves, each proof read from the stored nodes
   (latency), and a sample of them verified against the signed root (untimed);
3. `audit verify` over the whole store: every leaf recomputed, the root and every
   checkpoint checked;
4. commit -> signed checkpoint: bids through the bus at a fixed rate while the log runs
   as in production (woken by LISTEN, one checkpoint per second at most); for each bid
   the time from its acknowledgement to the signing of the first checkpoint covering it."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from commands.actor import Actor, Role
from commands.messages import PlaceBid
from infra.audit_tools import verify
from infra.bench.measurements import peak_rss_mb
from infra.bench.relay_seed import SeedPlan, seed_history
from infra.bootstrap import build_bus, build_event_store
from infra.scenario import open_auctions
from infra.settings import Settings
from projections.merkle_verify import verify_inclusion
from projections.signed_note import parse_verifier_key
from streams.audit_log import AuditConfig, AuditLog
from streams.audit_schema import ensure_audit_schema
from streams.audit_signer import CheckpointSigner
from streams.audit_store import AuditStore
from streams.store_listener import StoreListener

TARGET_LEAVES_PER_S = 20_000.0
TARGET_PROOF_P99_MS = 2.0
TARGET_VERIFY_S = 60.0
TARGET_CHECKPOINT_P99_S = 2.0
PROOFS = 2_000
VERIFIED_PROOFS = 200

Progress = Callable[[str, float], None]  # (phase, done)
Pool = AsyncConnectionPool[AsyncConnection[Any]]


async def run_audit_bench(
    settings: Settings,
    events: int,
    on_progress: Progress,
    *,
    bid_rate: float = 200.0,
    bid_seconds: float = 15.0,
) -> dict[str, Any]:
    store = build_event_store(settings)
    signer = CheckpointSigner(settings.audit_origin, Ed25519PrivateKey.generate())
    pool: Pool = AsyncConnectionPool(
        settings.database_url or "", min_size=1, max_size=4, open=False
    )
    await pool.open()
    try:
        head = await seed_history(
            settings, store, SeedPlan(events), lambda n: on_progress("seed", n)
        )
        await ensure_audit_schema(pool)
        log = AuditLog(settings, store, pool, signer, wait=_no_wait, config=AuditConfig(0.0))
        await log.resume()
        started = time.perf_counter()
        await log.append_up_to(head)
        integration_s = time.perf_counter() - started
        on_progress("integrate", 1.0)
        checkpoint = await log.checkpoint()
        if checkpoint is None:
            raise RuntimeError("the log appended nothing: is the store empty?")
        proofs = await _proof_latencies(log, checkpoint.tree_size, checkpoint.root, on_progress)
        verify_s, verify_report = await _verify_duration(settings, signer, on_progress)
        delays = await _checkpoint_delays(
            settings,
            store,
            pool,
            signer,
            rate=bid_rate,
            seconds=bid_seconds,
            on_progress=on_progress,
        )
    finally:
        await pool.close()
        store.close()
    leaves_per_s = head / integration_s if integration_s else 0.0
    proof_p99 = _percentile(proofs, 0.99) * 1000
    delay_p99 = _percentile(delays, 0.99)
    results = {
        "integration": {
            "leaves": log.frontier.size,
            "seconds": round(integration_s, 2),
            "leaves_per_s": round(leaves_per_s, 1),
            "target_leaves_per_s": int(TARGET_LEAVES_PER_S),
            "met": leaves_per_s >= TARGET_LEAVES_PER_S,
        },
        "inclusion_proof": {
            "tree_size": checkpoint.tree_size,
            "proofs": len(proofs),
            "p50_ms": round(_percentile(proofs, 0.5) * 1000, 3),
            "p99_ms": round(proof_p99, 3),
            "verified": VERIFIED_PROOFS,
            "target_p99_ms": TARGET_PROOF_P99_MS,
            "met": proof_p99 <= TARGET_PROOF_P99_MS,
        },
        "verify": {
            "events": verify_report.leaves,
            "checkpoints": verify_report.checkpoints,
            "ok": verify_report.ok,
            "seconds": round(verify_s, 2),
            "target_s": TARGET_VERIFY_S,
            "met": verify_report.ok and verify_s <= TARGET_VERIFY_S,
        },
        "commit_to_checkpoint": {
            "bids": len(delays),
            "rate_per_s": bid_rate,
            "p50_s": round(_percentile(delays, 0.5), 3),
            "p99_s": round(delay_p99, 3),
            "max_s": round(max(delays, default=0.0), 3),
            "target_p99_s": TARGET_CHECKPOINT_P99_S,
            "met": bool(delays) and delay_p99 <= TARGET_CHECKPOINT_P99_S,
        },
    }
    return {
        "benchmark": "audit",
        "events": head,
        **results,
        "all_met": all(part["met"] for part in results.values()),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


async def _no_wait(_seconds: float) -> None:
    return None


async def _proof_latencies(
    log: AuditLog, size: int, root: bytes, on_progress: Progress
) -> list[float]:
    rng = random.Random(7)
    latencies: list[float] = []
    for n in range(PROOFS):
        index = rng.randrange(size)
        started = time.perf_counter()
        proof = await log.proofs.inclusion(index, size)
        latencies.append(time.perf_counter() - started)
        if n < VERIFIED_PROOFS:  # the proofs are real: a sample is checked (untimed)
            leaf_hashes = await log.audit.leaf_hashes(index, index + 1)
            if not verify_inclusion(leaf_hashes[index], index, size, proof, root):
                raise AssertionError(f"inclusion proof of leaf {index} does not verify")
        on_progress("proofs", n + 1)
    return latencies


async def _verify_duration(
    settings: Settings, signer: CheckpointSigner, on_progress: Progress
) -> tuple[float, Any]:
    done = 0

    def advance(count: int) -> None:
        nonlocal done
        done += count
        on_progress("verify", done)

    started = time.perf_counter()
    report = await verify(settings, parse_verifier_key(signer.verifier_key), advance=advance)
    return time.perf_counter() - started, report


async def _checkpoint_delays(
    settings: Settings,
    store: Any,
    pool: Pool,
    signer: CheckpointSigner,
    *,
    rate: float,
    seconds: float,
    on_progress: Progress,
) -> list[float]:
    """Bids at `rate` for `seconds` while the log runs as deployed; per bid, ack -> signed."""
    listener = StoreListener(settings.database_url or "")
    log = AuditLog(settings, store, pool, signer, wait=listener.wait, config=AuditConfig())
    stop = asyncio.Event()
    running = asyncio.create_task(log.run(stop))
    acked: list[tuple[int, float]] = []  # (position, wall-clock ack time)
    try:
        async with build_bus(settings, store) as bus:
            (auction,) = await open_auctions(
                bus, 1, now=datetime.now(UTC), duration=timedelta(hours=1)
            )
            bidder = Actor.of("audit-bench-bidder", Role.BIDDER)
            interval = 1.0 / rate
            started = time.monotonic()
            for n in range(int(rate * seconds)):
                await asyncio.sleep(max(0.0, started + n * interval - time.monotonic()))
                amount = auction.reserve + n * auction.increment
                result = await bus.dispatch(
                    PlaceBid(auction_id=auction.auction_id, amount=amount), bidder
                )
                acked.append((result.position, time.time()))
                on_progress("checkpoints", n + 1)
        last = acked[-1][0]
        audit = AuditStore(pool)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            latest = await audit.latest_checkpoint()
            leaf = await audit.leaf_by_position(last)
            if latest and leaf and latest.tree_size > leaf.leaf_index:
                break
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await running
        await listener.close()
    return await _delays(AuditStore(pool), acked)


async def _delays(audit: AuditStore, acked: list[tuple[int, float]]) -> list[float]:
    checkpoints = await audit.checkpoints()
    indexes = await audit.leaf_indexes([position for position, _ in acked])
    delays: list[float] = []
    for position, acked_at in acked:
        index = indexes.get(position)
        covering = next((c for c in checkpoints if index is not None and c.tree_size > index), None)
        if covering is None:
            delays.append(float("inf"))  # never covered within the wait: counts as a miss
            continue
        delays.append(max(0.0, covering.signed_at.timestamp() - acked_at))
    return delays


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]
