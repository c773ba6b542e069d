"""`verachain projections check`: every read model compared with a fresh fold of the event
store; the tests use it as their oracle.

Why the comparison is sound while live projections run: the read models are read first,
the store's head after, so nothing they hold is newer than the fold. An aggregate whose
row or key is at the fold's version is compared field by field; one below it is *lagging*
(its projection has not got there yet). With `wait_s`, lagging aggregates are read again
(and the fold extended to the new head) until none lag or the time is up; whatever still
lags then is reported as a difference, so a clean report always means "equal to the store
at `position`", never "probably equal"."""

from __future__ import annotations

import time
from dataclasses import dataclass

from redis import Redis

from commands.store import EventStore
from infra.settings import Settings
from projections.fold import ReadModelFold
from projections.live_model import PREFIX
from projections.read_model_diff import Difference, DifferenceKind, diff_redis, diff_sql
from projections.sql_schema import TABLES
from streams.read_model_snapshot import read_redis_entries, read_sql_rows
from streams.store_fold import FoldProgress, fold_store

POLL_S = 0.2


@dataclass(frozen=True)
class CheckReport:
    position: int  # the store position the read models were compared with
    compared: int  # rows and Redis aggregates compared
    differences: tuple[Difference, ...]

    @property
    def clean(self) -> bool:
        return not self.differences

    @property
    def lagging(self) -> int:
        return sum(1 for d in self.differences if d.kind is DifferenceKind.LAGGING)


def check_read_models(
    settings: Settings,
    store: EventStore,
    *,
    sql: bool = True,
    redis: Redis | None = None,
    prefix: str = PREFIX,
    wait_s: float = 0.0,
    workers: int | None = None,
    progress: FoldProgress | None = None,
) -> CheckReport:
    """Compare the SQL read model (`sql`) and/or the Redis one (`redis` given) with the
    store; wait up to `wait_s` seconds for lagging aggregates to catch up."""
    if sql and not settings.database_url:
        msg = "the SQL check needs the database URL"
        raise ValueError(msg)
    fold = ReadModelFold()
    deadline = time.monotonic() + wait_s
    while True:
        rows = read_sql_rows(settings.database_url) if sql and settings.database_url else None
        entries = read_redis_entries(redis, prefix) if redis is not None else None
        # Read after the read models: every event they reflect is at or below this head.
        head = store.head_position()
        fold_store(settings, store, fold, up_to=head, workers=workers, progress=progress)
        differences: list[Difference] = []
        compared = 0
        if rows is not None:
            differences.extend(diff_sql(fold, rows))
            compared += sum(len(fold.rows(table.name)) for table in TABLES)
        if entries is not None:
            differences.extend(diff_redis(fold, entries, prefix))
            compared += sum(1 for _ in fold.live_ids())
        lagging = any(d.kind is DifferenceKind.LAGGING for d in differences)
        if not lagging or time.monotonic() >= deadline:
            return CheckReport(fold.position, compared, tuple(sorted(differences)))
        time.sleep(POLL_S)
