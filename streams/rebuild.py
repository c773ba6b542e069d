"""`verachain projections rebuild`: the read models rebuilt from the event store's history
(read from its notification log, not through Kafka) and swapped in atomically while the
live projections keep running.

1. Fold the whole history up to the store's head in memory (projections.fold).
2. Write it beside the live model: SQL into `read_model_next` (COPY), Redis under
   `<prefix>-rebuild:`.
3. Catch up, still unlocked, with what was committed meanwhile, until little is left.
4. Swap, in one PostgreSQL transaction that holds the live tables in EXCLUSIVE mode: the
   live projection waits (its Redis updates run inside its SQL transaction, so they wait
   too); apply the last events committed before the lock; rename the schemas; rename the
   Redis keys (MULTI/EXEC); commit. The live projection then resumes on the new model,
   skips what it already holds (by version) and applies the rest.
5. Drop the old schema, after the commit, so that the swap never waits for long-running
   readers of the old tables (a crashed rebuild's leftovers are dropped by the next one).

Memory: the fold holds every row, bids included (~350 MB for 200k events, mostly bids).

Without live tables to lock (a first build), a live Redis projection could write during
the swap, so Redis is caught up once more after it with version-guarded writes."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

import psycopg
from psycopg import errors
from redis import Redis

from commands.store import EventStore
from infra.settings import Settings
from projections.fold import LIVE_KEYS, LiveState, ReadModelFold
from projections.live_model import PREFIX
from projections.read_rows import Projected
from streams.history_reader import history_batches
from streams.redis_rebuild import RedisRebuild
from streams.sql_rebuild import (
    OLD_SCHEMA,
    drop_schema,
    fill_next_schema,
    live_tables,
    lock_live_tables,
    swap_in_next_schema,
    write_changes,
)
from streams.store_fold import fold_store

# Catch-up rounds before the lock: each one is shorter than the one before, as reading
# is faster than the store's writers; stop once a round is this small.
CATCH_UP_ROUNDS = 5
SMALL_CATCH_UP = 1_000
LOCK_TIMEOUT = "10s"
LOCK_ATTEMPTS = 3
# pg_try_advisory_lock key: one rebuild at a time per database.
REBUILD_LOCK_KEY = 0x76657261_72656275  # "verarebu"


class RebuildInProgress(RuntimeError):
    """Another rebuild holds this database's rebuild lock."""


class RebuildObserver(Protocol):
    def phase(self, name: str) -> None:
        """A step of the rebuild begins."""

    def advance(self, position: int, head: int) -> None:
        """The fold reached `position` of `head`."""


class _Silent:
    def phase(self, name: str) -> None:
        pass

    def advance(self, position: int, head: int) -> None:
        pass


@dataclass(frozen=True)
class RebuildStats:
    targets: tuple[str, ...]
    events: int  # folded from the history
    caught_up: int  # applied by the catch-ups, after the fold
    position: int  # the rebuilt models' position when they were swapped in
    seconds: float

    @property
    def events_per_s(self) -> float:
        return (self.events + self.caught_up) / self.seconds if self.seconds > 0 else 0.0


class _Targets:
    """Where folded changes go while catching up: read_model_next and the temporary keys."""

    def __init__(self, conn: psycopg.Connection[Any] | None, redis: RedisRebuild | None) -> None:
        self.conn = conn
        self.redis = redis

    def write(self, fold: ReadModelFold, changes: list[Projected], touched: set[str]) -> None:
        if self.conn is not None:
            write_changes(self.conn, fold, changes)
        if self.redis is not None:
            self.redis.write_temporary(_states(fold, touched))


class _GuardedRedis(_Targets):
    """After a swap made without the live tables' lock: straight to the live keys, unless
    the live projection already wrote a later version."""

    def __init__(self, redis: RedisRebuild) -> None:
        super().__init__(None, redis)

    def write(self, fold: ReadModelFold, changes: list[Projected], touched: set[str]) -> None:
        if self.redis is not None:
            self.redis.write_guarded(_states(fold, touched))


def rebuild_read_models(
    settings: Settings,
    store: EventStore,
    *,
    sql: bool = True,
    redis: Redis | None = None,
    prefix: str = PREFIX,
    workers: int | None = None,
    observer: RebuildObserver | None = None,
) -> RebuildStats:
    """Rebuild the SQL read model (`sql`) and/or the Redis one (`redis` given)."""
    if not settings.database_url:
        msg = "rebuild needs the database URL"
        raise ValueError(msg)
    if not sql and redis is None:
        msg = "nothing to rebuild: neither SQL nor Redis was chosen"
        raise ValueError(msg)
    watch = observer or _Silent()
    started = time.perf_counter()
    if redis is not None:
        redis.ping()  # fail now rather than after the fold
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        _take_rebuild_lock(conn)
        head = store.head_position()
        fold = ReadModelFold()
        watch.phase("folding the event store")
        watch.advance(0, head)
        folded = fold_store(
            settings, store, fold, up_to=head, workers=workers, progress=watch.advance
        )
        redis_rebuild = RedisRebuild(redis, prefix) if redis is not None else None
        watch.phase("writing the new read models")
        _write_beside(conn if sql else None, redis_rebuild, fold)
        targets = _Targets(conn if sql else None, redis_rebuild)
        watch.phase("catching up")
        caught_up = 0
        for _ in range(CATCH_UP_ROUNDS):
            applied = _catch_up(store, fold, targets)
            caught_up += applied
            if applied < SMALL_CATCH_UP:
                break
        watch.phase("locking the live tables")
        with conn.transaction():
            locked = _lock_live_tables(conn)
            watch.phase("swapping")
            caught_up += _catch_up(store, fold, targets)
            if sql:
                swap_in_next_schema(conn)
            if redis_rebuild is not None:
                redis_rebuild.swap()
        position = fold.position
        if sql:
            drop_schema(conn, OLD_SCHEMA)
        if redis_rebuild is not None and not locked:
            caught_up += _catch_up(store, fold, _GuardedRedis(redis_rebuild))
    names = tuple(name for name, chosen in (("sql", sql), ("redis", redis is not None)) if chosen)
    return RebuildStats(names, folded, caught_up, position, time.perf_counter() - started)


def _write_beside(
    conn: psycopg.Connection[Any] | None, redis: RedisRebuild | None, fold: ReadModelFold
) -> None:
    """Fill read_model_next and the temporary Redis keys. (Doing both at once in two
    threads saved nothing measurable: both sides are mostly Python holding the GIL.)"""
    if conn is not None:
        fill_next_schema(conn, fold)
    if redis is not None:
        redis.clear_temporary()
        redis.write_temporary(fold.live_states())
        redis.list_live_keys()


def _catch_up(store: EventStore, fold: ReadModelFold, targets: _Targets) -> int:
    """Fold what was committed after fold.position, and write what it changed."""
    seen = 0
    for batch in history_batches(store, after=fold.position):
        changes: list[Projected] = []
        touched: set[str] = set()
        for envelope in batch:
            change = fold.apply(envelope)
            if change is not None:
                changes.append(change)
                if envelope["aggregate_type"] in LIVE_KEYS:
                    touched.add(envelope["aggregate_id"])
        targets.write(fold, changes, touched)
        seen += len(batch)
    return seen


def _states(fold: ReadModelFold, aggregate_ids: Iterable[str]) -> list[LiveState]:
    return [state for i in aggregate_ids if (state := fold.live_state(i)) is not None]


def _lock_live_tables(conn: psycopg.Connection[Any]) -> bool:
    """Lock the live tables that exist (none on a first build); True if any were."""
    conn.execute("SELECT set_config('lock_timeout', %s, true)", (LOCK_TIMEOUT,))
    tables = live_tables(conn)
    for attempt in range(1, LOCK_ATTEMPTS + 1):
        try:
            with conn.transaction():  # a savepoint: a failed attempt leaves the rest intact
                lock_live_tables(conn, tables)
            break
        except (errors.LockNotAvailable, errors.DeadlockDetected):
            if attempt == LOCK_ATTEMPTS:
                raise
    return bool(tables)


def _take_rebuild_lock(conn: psycopg.Connection[Any]) -> None:
    """Held by the connection for the whole rebuild; released when it closes."""
    row = conn.execute("SELECT pg_try_advisory_lock(%s)", (REBUILD_LOCK_KEY,)).fetchone()
    if row is None or not row[0]:
        msg = "another rebuild is running on this database"
        raise RebuildInProgress(msg)
