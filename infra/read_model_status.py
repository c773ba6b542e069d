"""How far the read model is behind the event store."""

from __future__ import annotations

import psycopg

from projections.sql_schema import LIVE_SCHEMA

# Aggregates whose read-model row is missing or not at the stored version.
_LAGGING = f"""
SELECT count(*) FROM (
    SELECT originator_id AS id, max(originator_version) AS version
    FROM verachain_events GROUP BY originator_id
) AS stored
LEFT JOIN (
    SELECT id, version FROM "{LIVE_SCHEMA}".products
    UNION ALL SELECT id, version FROM "{LIVE_SCHEMA}".verifications
    UNION ALL SELECT id, version FROM "{LIVE_SCHEMA}".certificates
    UNION ALL SELECT id, version FROM "{LIVE_SCHEMA}".auctions
) AS projected ON projected.id = stored.id
WHERE projected.version IS DISTINCT FROM stored.version
"""  # noqa: S608 - the schema name is our constant


def read_model_lag(database_url: str) -> int:
    """Aggregates the read model has not fully applied (all of them before it exists)."""
    with psycopg.connect(database_url) as conn:
        exists = conn.execute("SELECT to_regclass(%s)", (f'"{LIVE_SCHEMA}".auctions',)).fetchone()
        if not exists or exists[0] is None:
            row = conn.execute(
                "SELECT count(DISTINCT originator_id) FROM verachain_events"
            ).fetchone()
        else:
            row = conn.execute(_LAGGING.encode()).fetchone()
    return int(row[0]) if row else 0
