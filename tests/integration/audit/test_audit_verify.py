"""`audit verify`'s core against a real store: a clean history verifies; an event rewritten
or deleted in PostgreSQL is named by its leaf index; checkpoints with a bad signature and
trusted checkpoints from another history are named."""

from __future__ import annotations

from collections.abc import AsyncIterator

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from commands.bus import CommandBus
from commands.store import EventStore
from projections.merkle import EMPTY_ROOT
from projections.signed_note import parse_verifier_key
from streams.audit_leaves import LeafBatch, leaf_batches
from streams.audit_log import AuditLog
from streams.audit_schema import ensure_audit_schema
from streams.audit_signer import CheckpointSigner
from streams.audit_store import AuditStore
from streams.audit_verify import VerifyReport, verify_log
from tests.integration.audit.conftest import Pool
from tests.integration.rebuild.support import traffic


async def _leaves(audit_log: AuditLog) -> AsyncIterator[LeafBatch]:
    head = audit_log.store.head_position()
    for batch in leaf_batches(audit_log.settings, audit_log.store, after=0, up_to=head):
        yield batch


async def _verify(
    audit_log: AuditLog, signer: CheckpointSigner, trusted: str | None = None
) -> VerifyReport:
    key = parse_verifier_key(signer.verifier_key)
    return await verify_log(_leaves(audit_log), AuditStore(audit_log.pool), key, trusted=trusted)


async def _logged_history(bus: CommandBus, pool: Pool, audit_log: AuditLog) -> None:
    await ensure_audit_schema(pool)
    await audit_log.resume()
    bidding = await traffic(bus, auctions=3, rounds=1)
    await audit_log.step()
    await bidding.rounds(bus, 2)
    await audit_log.step()


async def test_a_clean_history_verifies(
    bus: CommandBus, store: EventStore, pool: Pool, audit_log: AuditLog, signer: CheckpointSigner
) -> None:
    await _logged_history(bus, pool, audit_log)
    done: list[int] = []
    report = await verify_log(
        _leaves(audit_log),
        AuditStore(pool),
        parse_verifier_key(signer.verifier_key),
        advance=done.append,
    )
    assert report.problems == []
    assert report.ok
    assert report.leaves == audit_log.frontier.size == sum(done)
    assert report.checkpoints == 2


async def test_an_event_rewritten_in_the_store_is_named_by_its_leaf(
    bus: CommandBus, pool: Pool, audit_log: AuditLog, signer: CheckpointSigner
) -> None:
    await _logged_history(bus, pool, audit_log)
    audit = AuditStore(pool)
    async with pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT notification_id FROM verachain_events WHERE topic = 'BidPlaced' "
            "ORDER BY notification_id LIMIT 1 OFFSET 2"
        )
        row = await cursor.fetchone()
        assert row is not None
        position = int(row[0])
        # A bid's actor rewritten in place: still a well-formed event, just not the one logged.
        await conn.execute(
            "UPDATE verachain_events SET state = convert_to(regexp_replace("
            'convert_from(state, \'UTF8\'), \'"actor":"[^"]*"\', \'"actor":"mallory"\'), \'UTF8\') '
            "WHERE notification_id = %s",
            (position,),
        )
    leaf = await audit.leaf_by_position(position)
    assert leaf is not None

    report = await _verify(audit_log, signer)
    assert not report.ok
    assert report.problems[0].startswith(f"leaf {leaf.leaf_index} (store position {position}")
    assert any("its root is not the root" in p for p in report.problems)


async def test_an_event_deleted_from_the_store_is_named_by_its_leaf(
    bus: CommandBus, pool: Pool, audit_log: AuditLog, signer: CheckpointSigner
) -> None:
    await _logged_history(bus, pool, audit_log)
    size = audit_log.frontier.size
    async with pool.connection() as conn:
        cursor = await conn.execute(
            "DELETE FROM verachain_events WHERE notification_id = ("
            " SELECT notification_id FROM verachain_events ORDER BY notification_id"
            " OFFSET 7 LIMIT 1) RETURNING notification_id"
        )
        row = await cursor.fetchone()
    assert row is not None
    leaf = await AuditStore(pool).leaf_by_position(int(row[0]))
    assert leaf is not None

    report = await _verify(audit_log, signer)
    assert not report.ok
    assert report.problems[0].startswith(f"leaf {leaf.leaf_index} ")
    assert report.leaves == size - 1


async def test_a_checkpoint_signed_by_another_key_is_named(
    bus: CommandBus, pool: Pool, audit_log: AuditLog, signer: CheckpointSigner
) -> None:
    await _logged_history(bus, pool, audit_log)
    latest = await AuditStore(pool).latest_checkpoint()
    assert latest is not None
    forger = CheckpointSigner(signer.origin, Ed25519PrivateKey.generate())
    async with pool.connection() as conn:
        await conn.execute(
            "UPDATE verachain_audit_checkpoints SET note = %s WHERE tree_size = %s",
            (forger.sign(latest.tree_size, latest.root), latest.tree_size),
        )
    report = await _verify(audit_log, signer)
    assert not report.ok
    assert report.problems[0].startswith(f"checkpoint {latest.tree_size}: ")


async def test_a_trusted_checkpoint_of_this_history_holds_and_one_of_another_does_not(
    bus: CommandBus, pool: Pool, audit_log: AuditLog, signer: CheckpointSigner
) -> None:
    await _logged_history(bus, pool, audit_log)
    first = (await AuditStore(pool).checkpoints())[0]
    assert (await _verify(audit_log, signer, trusted=first.note)).ok

    # The log's own key signed a different tree of that size earlier (a fork shown to
    # someone else): today's history does not extend it.
    fork = signer.sign(first.tree_size, EMPTY_ROOT)
    report = await _verify(audit_log, signer, trusted=fork)
    assert report.problems == [
        f"trusted checkpoint {first.tree_size}: today's history does not extend it"
    ]

    stranger = CheckpointSigner(signer.origin, Ed25519PrivateKey.generate())
    report = await _verify(audit_log, signer, trusted=stranger.sign(first.tree_size, first.root))
    assert not report.ok
    assert report.problems[0].startswith("trusted checkpoint: ")
