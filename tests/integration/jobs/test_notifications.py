"""The notification kind through `verachain worker` (sending) and `verachain reactor`
(events becoming notifications): real e-mails to a local SMTP server (aiosmtpd), the
outbox keeping redeliveries from sending twice, events becoming e-mails,
and an unreachable server ending in dead letters."""

from __future__ import annotations

import asyncio
import contextlib
import json
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.message import Message
from pathlib import Path

import psycopg
import pytest
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from commands.actor import Actor, Role
from commands.bus import CommandBus
from commands.messages import PlaceBid
from infra.cli.topics_command import create_topics
from infra.contacts import open_directory
from infra.job_admin import job_status
from infra.kafka_admin import existing_topics
from infra.kafka_broker import free_port
from infra.relay_runner import run_relay
from infra.scenario import open_auctions
from infra.settings import Settings
from streams.jobs.job import decode_job
from streams.jobs.job_queue import JobQueue
from streams.jobs.job_topics import NOTIFICATION, dead_topic
from streams.topics import RELAY_MARKER
from tests.integration.jobs.conftest import eventually, job_env
from tests.support.database import TestDatabase
from tests.support.kafka import KafkaTarget, read_all
from tests.support.mail_inbox import Inbox, smtp_inbox
from tests.support.traffic import stream_settings

Spawn = Callable[[list[str], dict[str, str]], None]


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    with smtp_inbox() as served:
        yield served


def outbox_row(url: str, job_id: str) -> tuple[str, int, str | None] | None:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT status, attempts, last_error FROM verachain_outbox WHERE job_id = %s",
            (job_id,),
        ).fetchone()
    return (str(row[0]), int(row[1]), row[2]) if row else None


async def wait_for_relay_topics(bootstrap: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:

        async def made() -> bool | None:
            return True if RELAY_MARKER in await existing_topics(admin) else None

        await eventually(made, "the relay's topics")
    finally:
        await admin.close()


async def test_notifications_are_mailed_once_and_bids_tell_the_outbid(
    test_database: TestDatabase,
    bus: CommandBus,
    kafka: KafkaTarget,
    redis_url: str,
    inbox: tuple[Inbox, int],
    group: str,
    spawn: Spawn,
    tmp_path: Path,
) -> None:
    mail, smtp_port = inbox
    url = test_database.url
    stop = asyncio.Event()
    relay_settings = stream_settings(test_database, kafka.bootstrap, embedded=kafka.embedded)
    relay = asyncio.create_task(run_relay(relay_settings, stop, CollectorRegistry()))
    try:
        await wait_for_relay_topics(kafka.bootstrap)  # the relay makes the job topics too
        env = job_env(
            test_database,
            kafka,
            group,
            tmp_path,
            VERACHAIN_REDIS_URL=redis_url,
            VERACHAIN_SMTP_HOST="127.0.0.1",
            VERACHAIN_SMTP_PORT=str(smtp_port),
            VERACHAIN_SMTP_FROM="auctions@verachain.test",
        )
        spawn(["infra.cli", "worker"], env)  # sends
        spawn(["infra.cli", "reactor"], {**env, "VERACHAIN_AI_AGENTS": "off"})  # notifies
        settings = Settings.from_env(env)

        # A job enqueued directly: one real e-mail, then a redelivery sends nothing.
        payload = {"recipient": "carol@example.test", "subject": "Hello", "body": "Hi Carol\n"}
        async with JobQueue(settings) as queue:
            job = await queue.enqueue(NOTIFICATION, payload)

            async def delivered() -> list[tuple[list[str], Message]] | None:
                return list(mail.messages) or None

            ((to, message),) = await eventually(delivered, "the e-mail")
            assert to == ["carol@example.test"]
            assert (message["Subject"], message["From"]) == ("Hello", "auctions@verachain.test")
            assert message["Message-ID"] == f"<{job.job_id}@verachain>"
            await queue.send(f"verachain.jobs.{NOTIFICATION}", job)  # redelivered

            async def drained() -> bool | None:
                (status,) = await job_status(settings, [NOTIFICATION])
                return True if status.depth == 0 else None

            await eventually(drained, "the redelivery to be taken")
        assert len(mail.messages) == 1
        assert await asyncio.to_thread(outbox_row, url, job.job_id) == ("sent", 1, None)

        # Bids through the command bus: the outbid bidder gets an e-mail, the unknown
        # seller and the new leader none.
        run = uuid.uuid4().hex[:6]
        alice, bob = (Actor.of(f"{name}-{run}", Role.BIDDER) for name in ("alice", "bob"))
        async with open_directory(settings) as directory:
            for actor in (alice, bob):
                await directory.set_email(actor.id, f"{actor.id}@example.test")
        (auction,) = await open_auctions(bus, 1, now=datetime.now(UTC), duration=timedelta(hours=1))
        await bus.dispatch(PlaceBid(auction_id=auction.auction_id, amount=auction.reserve), alice)
        await bus.dispatch(
            PlaceBid(auction_id=auction.auction_id, amount=auction.reserve + auction.increment),
            bob,
        )

        async def outbid() -> list[tuple[list[str], Message]] | None:
            return mail.messages[1:] or None

        ((to, message),) = await eventually(outbid, "the outbid e-mail")
        assert to == [f"{alice.id}@example.test"]
        assert message["Subject"] == f"You have been outbid on auction {auction.auction_id}"
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            await relay


async def test_an_unreachable_smtp_server_ends_in_dead_letters(
    test_database: TestDatabase,
    kafka: KafkaTarget,
    redis_url: str,
    group: str,
    spawn: Spawn,
    tmp_path: Path,
) -> None:
    await create_topics(kafka.bootstrap, 3)
    env = job_env(
        test_database,
        kafka,
        group,
        tmp_path,
        VERACHAIN_REDIS_URL=redis_url,
        VERACHAIN_SMTP_HOST="127.0.0.1",
        VERACHAIN_SMTP_PORT=str(free_port()),  # nobody listens there
    )
    metrics_port = free_port()
    env["VERACHAIN_WORKER_METRICS_PORT"] = str(metrics_port)
    spawn(["infra.cli", "worker"], env)
    payload = {"recipient": "dave@example.test", "subject": "Lost", "body": "-\n"}
    async with JobQueue(Settings.from_env(env)) as queue:
        job = await queue.enqueue(NOTIFICATION, payload)
    (letter,) = await read_all(kafka.bootstrap, [dead_topic(NOTIFICATION)], expect_at_least=1)
    dead = decode_job(json.dumps(letter.envelope).encode())
    assert (dead.job_id, dead.attempt) == (job.job_id, 3)
    assert dead.last_error is not None
    assert dead.last_error.startswith("ConnectionRefusedError")
    row = await asyncio.to_thread(outbox_row, test_database.url, job.job_id)
    assert row is not None
    assert row[:2] == ("failed", 3)

    # The worker's job metrics: two retries, then dead; three timed runs; two waits on the
    # retry topic of at least the backoffs (0.2 s, then 0.4 s).
    async def counted() -> dict[str, float] | None:
        samples = await asyncio.to_thread(scrape, metrics_port)
        return samples if samples.get("verachain_job_runs_total/dead") == 1 else None

    samples = await eventually(counted, "the dead job in the worker's metrics")
    assert samples["verachain_job_runs_total/retried"] == 2
    assert "verachain_job_runs_total/succeeded" not in samples
    assert samples["verachain_job_run_seconds_count/"] == 3
    assert samples["verachain_job_retry_wait_seconds_count/"] == 2
    assert 0.55 <= samples["verachain_job_retry_wait_seconds_sum/"] < 30


def scrape(port: int) -> dict[str, float]:
    """The notification kind's job samples on a metrics endpoint, as name/outcome."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    return {
        f"{sample.name}/{sample.labels.get('outcome', '')}": sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name.startswith("verachain_job_")
        and sample.labels.get("kind") == NOTIFICATION
        and "le" not in sample.labels
    }
