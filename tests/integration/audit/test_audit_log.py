"""The audit log against a real store: every event becomes the next leaf, the persisted tree
has the root an outsider computes from the envelopes alone, proofs served from the stored
nodes verify, checkpoints are signed and extend each other, a restarted log resumes from
its stored right edge, and a log whose stored tree no longer extends the last checkpoint
refuses to sign."""

from __future__ import annotations

import itertools

import pytest

from commands.bus import CommandBus
from commands.store import EventStore
from projections.checkpoint import parse_checkpoint
from projections.jcs import canonical_json
from projections.merkle import leaf_hash, root, root_plan
from projections.merkle_verify import verify_consistency, verify_inclusion
from projections.signed_note import open_note, parse_verifier_key
from streams.audit_log import AuditInconsistency, AuditLog
from streams.audit_schema import ensure_audit_schema
from streams.audit_signer import CheckpointSigner
from streams.audit_store import AuditStore
from streams.history_reader import history_batches
from tests.integration.audit.conftest import Pool
from tests.integration.rebuild.support import traffic


def outsider_leaves(store: EventStore) -> list[bytes]:
    """What anyone holding the envelopes computes: no audit code beyond the RFC hashes."""
    return [leaf_hash(canonical_json(e)) for batch in history_batches(store) for e in batch]


async def test_every_event_is_a_leaf_and_the_signed_root_is_the_outsiders_root(
    bus: CommandBus, store: EventStore, pool: Pool, audit_log: AuditLog, signer: CheckpointSigner
) -> None:
    await traffic(bus, auctions=3, rounds=2)
    await ensure_audit_schema(pool)
    await audit_log.resume()
    await audit_log.step()

    leaves = outsider_leaves(store)
    checkpoint = await AuditStore(pool).latest_checkpoint()
    assert checkpoint is not None
    assert checkpoint.tree_size == len(leaves) > 10
    assert checkpoint.root == root(leaves)
    signed = parse_checkpoint(open_note(checkpoint.note, parse_verifier_key(signer.verifier_key)))
    assert (signed.origin, signed.size, signed.root) == (
        "verachain/audit/v1",
        len(leaves),
        root(leaves),
    )
    for index in range(len(leaves)):
        proof = await audit_log.proofs.inclusion(index, len(leaves))
        assert verify_inclusion(leaves[index], index, len(leaves), proof, checkpoint.root)


async def test_later_checkpoints_extend_earlier_ones(
    bus: CommandBus, store: EventStore, pool: Pool, audit_log: AuditLog
) -> None:
    await ensure_audit_schema(pool)
    await audit_log.resume()
    bidding = await traffic(bus, auctions=2, rounds=1)
    await audit_log.step()
    for _ in range(3):
        await bidding.rounds(bus, 1)
        await audit_log.step()

    checkpoints = await AuditStore(pool).checkpoints()
    assert len(checkpoints) == 4
    sizes = [c.tree_size for c in checkpoints]
    assert sizes == sorted(set(sizes))
    for older, newer in itertools.pairwise(checkpoints):
        proof = await audit_log.proofs.consistency(older.tree_size, newer.tree_size)
        assert verify_consistency(older.tree_size, newer.tree_size, proof, older.root, newer.root)
    assert checkpoints[-1].root == root(outsider_leaves(store))


async def test_a_restarted_log_resumes_from_its_stored_edge(
    bus: CommandBus,
    store: EventStore,
    pool: Pool,
    audit_log: AuditLog,
    signer: CheckpointSigner,
) -> None:
    await ensure_audit_schema(pool)
    await audit_log.resume()
    bidding = await traffic(bus, auctions=2, rounds=2)
    await audit_log.step()
    await bidding.rounds(bus, 2)

    restarted = AuditLog(
        audit_log.settings, store, pool, signer, wait=audit_log.wait, config=audit_log.config
    )
    await restarted.resume()
    assert restarted.frontier.size == audit_log.frontier.size
    await restarted.step()
    leaves = outsider_leaves(store)
    assert restarted.frontier.size == len(leaves)
    assert restarted.frontier.root() == root(leaves)
    assert await restarted.proofs.root(len(leaves)) == root(leaves)


async def test_a_stored_tree_that_does_not_extend_the_last_checkpoint_is_never_signed(
    bus: CommandBus, pool: Pool, audit_log: AuditLog, signer: CheckpointSigner
) -> None:
    await ensure_audit_schema(pool)
    await audit_log.resume()
    bidding = await traffic(bus, auctions=2, rounds=1)
    await audit_log.step()
    audit = AuditStore(pool)
    signed = await audit.latest_checkpoint()
    assert signed is not None
    # Rewrite the largest complete subtree of the signed tree, as a damaged or doctored
    # table would hold it; the log resumes from it and would sign a different history.
    level, index = root_plan(signed.tree_size)[0]
    async with pool.connection() as conn:
        await conn.execute(
            "UPDATE verachain_audit_nodes SET hash = sha256(hash) WHERE level = %s AND idx = %s",
            (level, index),
        )
    await bidding.rounds(bus, 1)
    await audit_log.resume()

    with pytest.raises(AuditInconsistency, match=f"does not extend checkpoint {signed.tree_size}"):
        await audit_log.step()
    assert [c.tree_size for c in await audit.checkpoints()] == [signed.tree_size]
