"""A broker for tests (the configured cluster, else an embedded Tansu) and an independent
consumer that reads topics with plain aiokafka, not Faust."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition


@dataclass(frozen=True)
class KafkaTarget:
    bootstrap: str
    embedded: bool  # Tansu: no idempotent producer

    def env(self) -> dict[str, str]:
        """Environment for a child process that should use this broker."""
        env = {"VERACHAIN_KAFKA_BOOTSTRAP": self.bootstrap}
        if self.embedded:
            env["VERACHAIN_KAFKA_IDEMPOTENCE"] = "off"
        return env


@dataclass(frozen=True)
class ConsumedMessage:
    topic: str
    partition: int
    offset: int
    key: bytes
    envelope: dict[str, Any]
    headers: dict[str, bytes]


async def read_all(
    bootstrap: str, topics: list[str], *, expect_at_least: int, timeout_s: float = 30.0
) -> list[ConsumedMessage]:
    """Every message on the topics, from the beginning, once at least `expect_at_least`
    arrived and nothing more came for a second (or the timeout passed)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        partitions: list[TopicPartition] = []
        for _ in range(100):  # metadata of freshly (re)created topics can take a moment
            await consumer.topics()
            partitions = [
                TopicPartition(t, p)
                for t in topics
                for p in (consumer.partitions_for_topic(t) or ())
            ]
            if len(partitions) >= len(topics):
                break
            await asyncio.sleep(0.1)
        assert partitions, f"no partitions found for {topics}"
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        messages: list[ConsumedMessage] = []
        deadline = time.monotonic() + timeout_s
        quiet_since = time.monotonic()
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            if batch:
                quiet_since = time.monotonic()
            for tp, records in batch.items():
                for r in records:
                    messages.append(
                        ConsumedMessage(
                            tp.topic,
                            tp.partition,
                            r.offset,
                            r.key or b"",
                            json.loads(r.value or b"null"),
                            {k: bytes(v) for k, v in (r.headers or ())},
                        )
                    )
            if len(messages) >= expect_at_least and time.monotonic() - quiet_since > 1.0:
                break
            await asyncio.sleep(0)
        return messages
    finally:
        await consumer.stop()
