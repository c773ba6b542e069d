"""The Faust agent that feeds events to the notifier."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import faust

from infra.settings import Settings
from streams.notifications.notification_kind import open_notifier
from streams.topics import event_topics

BATCH = 500
BATCH_WINDOW_S = 0.05


def install_notifier(app: faust.App, settings: Settings) -> None:
    """Subscribe the notifier to the event topics (beside the projector: Faust hands each
    message to both and commits its offset once both are done with it)."""
    events = app.topic(*event_topics(), value_type=bytes, key_type=bytes)

    # concurrency=1 (FINDINGS.md): an aggregate's events reach the notifier in order, which
    # its per-aggregate memory (who leads an auction) relies on.
    async def notify(stream: Any) -> AsyncIterator[None]:
        async with open_notifier(settings) as notifier:
            async for values in stream.take(BATCH, within=BATCH_WINDOW_S):
                await notifier.handle_batch(list(values))
                yield None

    app.agent(events, name="notifications.notifier", concurrency=1)(notify)
