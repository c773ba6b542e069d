"""minPosition's watermark against a real store and read tables: a position counts as reached
only when every earlier event is applied too (events of other aggregates, on other
partitions, included), and a dead-lettered event does not hold it back forever."""

from __future__ import annotations

import uuid

import pytest

from api.applied_watermark import AppliedWatermark
from commands.actor import Actor, Role
from commands.bus import CommandBus
from commands.messages import RegisterProduct
from commands.results import CommandResult
from commands.store import EventStore
from projections.read_rows import Envelope
from streams.history_reader import aggregate_history
from streams.sql_projection import SqlProjection
from tests.support.read_schema import Pool

MAKER = Actor.of("watermark-maker", Role.MANUFACTURER)


async def _register(bus: CommandBus) -> CommandResult:
    serial = uuid.uuid4().hex
    return await bus.dispatch(
        RegisterProduct(
            sku=f"WM-{serial}", serial_number=serial, name="Watch", manufacturer="Acme"
        ),
        MAKER,
    )


async def _store_head(pool: Pool) -> int:
    async with pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT coalesce(max(notification_id), 0) FROM verachain_events"
        )
        row = await cursor.fetchone()
    assert row is not None
    return int(row[0])


async def _envelope(store: EventStore, result: CommandResult) -> Envelope:
    (envelope,) = await aggregate_history(store, result.aggregate_id, 0, result.aggregate_version)
    return envelope


async def _no_repair(aggregate_id: str, have: int, up_to: int) -> list[Envelope]:
    raise AssertionError(f"unexpected repair read of {aggregate_id} ({have}..{up_to})")


async def test_a_later_event_applied_before_an_earlier_one_is_not_reached(
    bus: CommandBus, store: EventStore, pool: Pool, schema: str
) -> None:
    start = await _store_head(pool)
    earlier = await _register(bus)
    later = await _register(bus)
    projection = SqlProjection(pool, _no_repair, schema)
    watermark = AppliedWatermark(pool, schema, through=start)

    assert not await watermark.reached(later.position)  # nothing applied yet
    await projection.apply(await _envelope(store, later))
    assert not await watermark.reached(later.position)  # its own event is, the earlier one not
    assert watermark.through == earlier.position - 1

    await projection.apply(await _envelope(store, earlier))
    assert await watermark.reached(later.position)
    assert watermark.through == later.position
    assert await watermark.reached(earlier.position)  # below the watermark: no query at all


async def test_a_dead_lettered_event_does_not_hold_the_watermark_back(
    bus: CommandBus, store: EventStore, pool: Pool, schema: str
) -> None:
    start = await _store_head(pool)
    poisoned = await _register(bus)
    fine = await _register(bus)
    await SqlProjection(pool, _no_repair, schema).apply(await _envelope(store, fine))
    watermark = AppliedWatermark(pool, schema, through=start)
    assert not await watermark.reached(fine.position)

    async with pool.connection() as conn:
        await conn.execute(
            "INSERT INTO verachain_projection_dead_letters (projection, position, error, message)"
            " VALUES ('read-model', %s, 'test: cannot apply', '\\x00')",
            (poisoned.position,),
        )
    try:
        assert await watermark.reached(fine.position)
    finally:
        async with pool.connection() as conn:
            await conn.execute(
                "DELETE FROM verachain_projection_dead_letters WHERE position = %s",
                (poisoned.position,),
            )


async def test_a_cold_watermark_walks_a_long_range_one_chunk_per_call(
    bus: CommandBus, store: EventStore, pool: Pool, schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("api.applied_watermark.CHUNK", 1)
    start = await _store_head(pool)
    results = [await _register(bus) for _ in range(3)]
    projection = SqlProjection(pool, _no_repair, schema)
    for result in results:
        await projection.apply(await _envelope(store, result))
    watermark = AppliedWatermark(pool, schema, through=start)
    walks = 1
    while not await watermark.reached(results[-1].position):
        walks += 1
    # One position per call (the registrations may interleave with no other traffic here).
    assert walks == results[-1].position - start
    assert watermark.through == results[-1].position


async def test_a_position_past_the_store_head_is_never_reached(
    bus: CommandBus, store: EventStore, pool: Pool, schema: str
) -> None:
    start = await _store_head(pool)
    result = await _register(bus)
    await SqlProjection(pool, _no_repair, schema).apply(await _envelope(store, result))
    watermark = AppliedWatermark(pool, schema, through=start)

    assert not await watermark.reached(result.position + 1_000_000)
    assert watermark.through == result.position  # walked to the head, not past it
    assert not await watermark.reached(result.position + 1)
