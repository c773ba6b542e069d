"""Creating and checking topics with aiokafka's admin client."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from streams.topics import TopicSpec

TOPIC_ALREADY_EXISTS = TopicAlreadyExistsError.errno

log = logging.getLogger(__name__)


async def existing_topics(admin: AIOKafkaAdminClient) -> set[str]:
    """Names of the broker's topics (a metadata request that never auto-creates one)."""
    return set(await admin.list_topics())


async def ensure_topics(admin: AIOKafkaAdminClient, specs: Sequence[TopicSpec]) -> list[str]:
    """Create the topics that do not exist yet; return the names created. Idempotent."""
    present = await existing_topics(admin)
    wanted = [s for s in specs if s.name not in present]
    if not wanted:
        return []
    response = await admin.create_topics(
        [NewTopic(s.name, s.partitions, 1) for s in wanted], validate_only=False
    )
    created: list[str] = []
    for topic, code, message in response.topic_errors:
        if code == 0:
            created.append(topic)
        elif code != TOPIC_ALREADY_EXISTS:  # a concurrent creator got there first: fine
            msg = f"could not create topic {topic}: error {code} {message}"
            raise RuntimeError(msg)
    return created


async def recreate_topics(admin: AIOKafkaAdminClient, specs: Sequence[TopicSpec]) -> None:
    """Drop topics a producer may have auto-created with the wrong partition count, then
    create all of them afresh."""
    present = await existing_topics(admin)
    stale = [s.name for s in specs if s.name in present]
    if stale:
        log.warning("deleting topics a producer auto-created: %s", ", ".join(stale))
        await admin.delete_topics(stale)
        await _wait_for(admin, lambda names: not names.intersection(stale))
    await ensure_topics(admin, specs)
    await _wait_for(admin, lambda names: {s.name for s in specs} <= names)


async def _wait_for(
    admin: AIOKafkaAdminClient, done: Callable[[set[str]], bool], timeout_s: float = 10.0
) -> None:
    deadline = time.monotonic() + timeout_s
    while not done(await existing_topics(admin)):
        if time.monotonic() > deadline:
            msg = "the broker did not settle its topics in time"
            raise TimeoutError(msg)
        await asyncio.sleep(0.05)
