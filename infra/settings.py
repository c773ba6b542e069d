"""All configuration, read once from the environment into one typed object."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import time
from pathlib import Path

DEFAULT_API_PORT = 5001
DEFAULT_EVIDENCE_MAX_BYTES = 10_000_000
# 40 megapixels: above any phone camera's photo, and a full decode of one stays bounded
# (about 160 MB at four bytes a pixel) however small its compressed file is.
DEFAULT_EVIDENCE_MAX_PIXELS = 40_000_000


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
    # Kafka and the relay.
    kafka_partitions: int = 6
    kafka_idempotence: str = "auto"  # auto: on for a configured (real) cluster, off for Tansu
    relay_batch_size: int = 1000
    relay_prepare_processes: int | None = None  # None: one per CPU (at most 4; 0 on one CPU)
    relay_metrics_port: int = 9102  # 0: no metrics endpoint
    worker_metrics_port: int = 9103  # 0: no metrics endpoint
    reactor_metrics_port: int = 9104  # 0: no metrics endpoint
    # The reactor's scheduling niceness (0-19). Where it shares cores with the read path
    # (`verachain dev`: 10), reactions yield to the projection, not the other way round.
    reactor_niceness: int = 0
    worker_group: str | None = None  # Kafka consumer group; default "verachain-projections"
    audit_origin: str = "verachain/audit/v1"  # the checkpoints' origin line and key name
    audit_checkpoint_interval_s: float = 1.0  # at most one signed checkpoint per interval
    # Whether `verachain reactor` runs the AI agents (assessment jobs, bid flagging); off
    # where assessments are recorded by hand.
    ai_agents: bool = True
    # Korean label OCR in AI assessments (tesseract + tesseract-ocr-kor): "auto" reads
    # Korean when installed (the recorded models say whether it ran), "on" refuses to start
    # a reactor without it, "off" never reads it.
    ocr_korean: str = "auto"
    # Query answers kept per API process (api/response_cache.py); 0 turns the cache off.
    query_cache_size: int = 10_000
    # Evidence images (POST /evidence): the file's bytes, and width x height.
    evidence_max_bytes: int = DEFAULT_EVIDENCE_MAX_BYTES
    evidence_max_pixels: int = DEFAULT_EVIDENCE_MAX_PIXELS
    # Jobs (streams/jobs/): backoff base * 2**(attempt-1) capped, then dead letters.
    job_max_attempts: int = 5
    job_backoff_base_s: float = 1.0
    job_backoff_cap_s: float = 300.0
    # Notification e-mails; without a host every notification job fails (and ends dead).
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_from: str = "verachain@localhost"
    smtp_timeout_s: float = 10.0
    # Schedules (streams/schedules/): daily times of day, UTC; scheduled backups kept.
    backup_at: time = time(2, 0)
    backup_keep: int = 7
    report_at: time = time(0, 15)

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
            kafka_partitions=_int(env, "VERACHAIN_KAFKA_PARTITIONS", 6),
            kafka_idempotence=_choice(env, "VERACHAIN_KAFKA_IDEMPOTENCE", ("auto", "on", "off")),
            relay_batch_size=_int(env, "VERACHAIN_RELAY_BATCH_SIZE", 1000),
            relay_prepare_processes=(
                _int(env, "VERACHAIN_RELAY_PREPARE_PROCESSES", 0)
                if env.get("VERACHAIN_RELAY_PREPARE_PROCESSES")
                else None
            ),
            relay_metrics_port=_int(env, "VERACHAIN_RELAY_METRICS_PORT", 9102),
            worker_metrics_port=_int(env, "VERACHAIN_WORKER_METRICS_PORT", 9103),
            reactor_metrics_port=_int(env, "VERACHAIN_REACTOR_METRICS_PORT", 9104),
            reactor_niceness=_niceness(env, "VERACHAIN_REACTOR_NICENESS"),
            worker_group=env.get("VERACHAIN_WORKER_GROUP") or None,
            audit_origin=env.get("VERACHAIN_AUDIT_ORIGIN") or "verachain/audit/v1",
            audit_checkpoint_interval_s=_float(env, "VERACHAIN_AUDIT_CHECKPOINT_INTERVAL_S", 1.0),
            ai_agents=_choice(env, "VERACHAIN_AI_AGENTS", ("on", "off")) == "on",
            ocr_korean=_choice(env, "VERACHAIN_OCR_KOREAN", ("auto", "on", "off")),
            query_cache_size=_int(env, "VERACHAIN_QUERY_CACHE_SIZE", 10_000),
            evidence_max_bytes=_positive_int(
                env, "VERACHAIN_EVIDENCE_MAX_BYTES", DEFAULT_EVIDENCE_MAX_BYTES
            ),
            evidence_max_pixels=_positive_int(
                env, "VERACHAIN_EVIDENCE_MAX_PIXELS", DEFAULT_EVIDENCE_MAX_PIXELS
            ),
            job_max_attempts=_positive_int(env, "VERACHAIN_JOB_MAX_ATTEMPTS", 5),
            job_backoff_base_s=_float(env, "VERACHAIN_JOB_BACKOFF_BASE_S", 1.0),
            job_backoff_cap_s=_float(env, "VERACHAIN_JOB_BACKOFF_CAP_S", 300.0),
            smtp_host=env.get("VERACHAIN_SMTP_HOST") or None,
            smtp_port=_positive_int(env, "VERACHAIN_SMTP_PORT", 25),
            smtp_from=env.get("VERACHAIN_SMTP_FROM") or "verachain@localhost",
            smtp_timeout_s=_float(env, "VERACHAIN_SMTP_TIMEOUT_S", 10.0),
            backup_at=_time_of_day(env, "VERACHAIN_BACKUP_AT", time(2, 0)),
            backup_keep=_positive_int(env, "VERACHAIN_BACKUP_KEEP", 7),
            report_at=_time_of_day(env, "VERACHAIN_REPORT_AT", time(0, 15)),
        )

    @property
    def idempotent_producer(self) -> bool:
        """On for a configured cluster (real Kafka); whoever starts the embedded Tansu,
        which has no idempotent producer, passes `embedded=True` to with_kafka."""
        return self.kafka_idempotence in ("auto", "on")

    def with_redis(self, url: str) -> Settings:
        return replace(self, redis_url=url)

    def to_env(self) -> dict[str, str]:
        """The environment that makes a child process see these settings."""
        env = {
            "VERACHAIN_API_PORT": str(self.api_port),
            "VERACHAIN_DATA_DIR": str(self.data_dir),
            "VERACHAIN_KAFKA_PARTITIONS": str(self.kafka_partitions),
            "VERACHAIN_KAFKA_IDEMPOTENCE": self.kafka_idempotence,
            "VERACHAIN_AUDIT_ORIGIN": self.audit_origin,
            "VERACHAIN_AI_AGENTS": "on" if self.ai_agents else "off",
            "VERACHAIN_OCR_KOREAN": self.ocr_korean,
            "VERACHAIN_QUERY_CACHE_SIZE": str(self.query_cache_size),
            "VERACHAIN_EVIDENCE_MAX_BYTES": str(self.evidence_max_bytes),
            "VERACHAIN_EVIDENCE_MAX_PIXELS": str(self.evidence_max_pixels),
            "VERACHAIN_JOB_MAX_ATTEMPTS": str(self.job_max_attempts),
            "VERACHAIN_JOB_BACKOFF_BASE_S": str(self.job_backoff_base_s),
            "VERACHAIN_JOB_BACKOFF_CAP_S": str(self.job_backoff_cap_s),
            "VERACHAIN_SMTP_PORT": str(self.smtp_port),
            "VERACHAIN_SMTP_FROM": self.smtp_from,
            "VERACHAIN_BACKUP_AT": self.backup_at.strftime("%H:%M"),
            "VERACHAIN_BACKUP_KEEP": str(self.backup_keep),
            "VERACHAIN_REPORT_AT": self.report_at.strftime("%H:%M"),
        }
        optional = {
            "VERACHAIN_DATABASE_URL": self.database_url,
            "VERACHAIN_REDIS_URL": self.redis_url,
            "VERACHAIN_KAFKA_BOOTSTRAP": self.kafka_bootstrap,
            "VERACHAIN_JWT_SECRET": self.jwt_secret,
            "VERACHAIN_SMTP_HOST": self.smtp_host,
        }
        env.update({k: v for k, v in optional.items() if v})
        return env

    def with_kafka(self, bootstrap: str, *, embedded: bool = False) -> Settings:
        idempotence = "off" if embedded else self.kafka_idempotence
        return replace(self, kafka_bootstrap=bootstrap, kafka_idempotence=idempotence)

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


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    value = _int(env, name, default)
    if value <= 0:
        raise SettingsError(f"{name} must be a positive integer, got {value}")
    return value


def _choice(env: Mapping[str, str], name: str, choices: tuple[str, ...]) -> str:
    raw = (env.get(name) or choices[0]).strip().lower()
    if raw not in choices:
        raise SettingsError(f"{name} must be one of {', '.join(choices)}, got {raw!r}")
    return raw


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError as e:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from e


def _time_of_day(env: Mapping[str, str], name: str, default: time) -> time:
    """HH:MM on the 24-hour clock, read as UTC (schedules never follow a local clock)."""
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    match = re.fullmatch(r"([01]\d|2[0-3]):([0-5]\d)", raw)
    if match is None:
        raise SettingsError(f"{name} must be HH:MM (24-hour, UTC), got {raw!r}")
    return time(int(match[1]), int(match[2]))


def _niceness(env: Mapping[str, str], name: str) -> int:
    value = _int(env, name, 0)
    if not 0 <= value <= 19:
        raise SettingsError(f"{name} must be between 0 and 19, got {value}")
    return value
