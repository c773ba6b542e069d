"""All configuration, read once from the environment into one typed object."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

DEFAULT_API_PORT = 5001


class SettingsError(ValueError):
    """A configuration value is malformed."""


@dataclass(frozen=True)
class Settings:
    database_url: str | None = None
    redis_url: str | None = None
    kafka_bootstrap: str | None = None
    jwt_secret: str | None = None
    api_port: int = DEFAULT_API_PORT
    data_dir: Path = field(default_factory=lambda: Path(".verachain"))
    # Command bus tuning.
    bus_window_ms: float = 1.0
    bus_max_batch: int = 256
    aggregate_cache_size: int = 20_000
    max_conflict_retries: int = 5
    db_pool_size: int = 4

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(
            database_url=env.get("VERACHAIN_DATABASE_URL") or None,
            redis_url=env.get("VERACHAIN_REDIS_URL") or None,
            kafka_bootstrap=env.get("VERACHAIN_KAFKA_BOOTSTRAP") or None,
            jwt_secret=env.get("VERACHAIN_JWT_SECRET") or None,
            api_port=_int(env, "VERACHAIN_API_PORT", DEFAULT_API_PORT),
            data_dir=Path(env.get("VERACHAIN_DATA_DIR") or ".verachain"),
            bus_window_ms=_float(env, "VERACHAIN_BUS_WINDOW_MS", 1.0),
            bus_max_batch=_int(env, "VERACHAIN_BUS_MAX_BATCH", 256),
            aggregate_cache_size=_int(env, "VERACHAIN_AGGREGATE_CACHE_SIZE", 20_000),
            max_conflict_retries=_int(env, "VERACHAIN_MAX_CONFLICT_RETRIES", 5),
            db_pool_size=_int(env, "VERACHAIN_DB_POOL_SIZE", 4),
        )

    def with_database(self, url: str) -> Settings:
        return replace(self, database_url=url)


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as e:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from e


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError as e:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from e
