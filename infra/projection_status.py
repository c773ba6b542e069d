"""What `verachain projections status` reports: lag and dead letters, read from PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from infra.read_model_status import read_model_lag


@dataclass(frozen=True)
class DeadLetter:
    recorded_at: str
    event_type: str | None
    position: int | None
    aggregate_id: str | None
    error: str


@dataclass(frozen=True)
class ProjectionStatus:
    store_head: int
    relay_position: int
    read_model_lagging_aggregates: int
    dead_letter_count: int
    recent_dead_letters: list[DeadLetter]


def _table_exists(conn: psycopg.Connection[tuple[object, ...]], name: str) -> bool:
    row = conn.execute("SELECT to_regclass(%s)", (name,)).fetchone()
    return bool(row and row[0])


def projection_status(database_url: str, recent: int = 5) -> ProjectionStatus:
    with psycopg.connect(database_url) as conn:
        head_row = conn.execute(
            "SELECT coalesce(max(notification_id), 0) FROM verachain_events"
        ).fetchone()
        relay = 0
        if _table_exists(conn, "verachain_relay_positions"):
            row = conn.execute(
                "SELECT position FROM verachain_relay_positions WHERE relay = 'relay'"
            ).fetchone()
            relay = int(row[0]) if row else 0
        count = 0
        letters: list[DeadLetter] = []
        if _table_exists(conn, "verachain_projection_dead_letters"):
            count_row = conn.execute(
                "SELECT count(*) FROM verachain_projection_dead_letters"
            ).fetchone()
            count = int(count_row[0]) if count_row else 0
            for at, event_type, position, aggregate_id, error in conn.execute(
                "SELECT recorded_at, event_type, position, aggregate_id, error "
                "FROM verachain_projection_dead_letters ORDER BY id DESC LIMIT %s",
                (recent,),
            ).fetchall():
                letters.append(
                    DeadLetter(
                        f"{at:%Y-%m-%d %H:%M:%S}",
                        None if event_type is None else str(event_type),
                        None if position is None else int(str(position)),
                        None if aggregate_id is None else str(aggregate_id),
                        str(error),
                    )
                )
    return ProjectionStatus(
        store_head=int(head_row[0]) if head_row else 0,
        relay_position=relay,
        read_model_lagging_aggregates=read_model_lag(database_url),
        dead_letter_count=count,
        recent_dead_letters=letters,
    )
