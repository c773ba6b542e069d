"""A bidder's e-mail, end to end: set through the API, outbid through the API, and the
e-mail arrives at a real SMTP server (aiosmtpd) from the relay, the reactor's notifier and
the worker's notification job; after clearing the address, being outbid sends nothing."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from email.message import Message

import pytest

from commands.actor import Role
from streams.jobs.job_topics import NOTIFICATION, job_topic
from tests.integration.api.conftest import RunningApi, serving_with_pipeline
from tests.integration.jobs.conftest import eventually
from tests.support.database import TestDatabase, provision_test_database
from tests.support.kafka import KafkaTarget, read_all
from tests.support.mail_inbox import Inbox, smtp_inbox
from tests.support.traffic import one_open_auction

SET_EMAIL = """mutation($e: String) { setContactEmail(email: $e) { email } }"""
BID = """mutation($a: ID!, $amount: Decimal!) { placeBid(auctionId: $a, amount: $amount) {
  position } }"""


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    with smtp_inbox() as served:
        yield served


@pytest.fixture
async def mailing_api(
    redis_url: str,
    kafka: KafkaTarget,
    inbox: tuple[Inbox, int],
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[RunningApi]:
    """The API, relay, a reactor that turns the outbid into a notification and a worker
    whose notification jobs mail the inbox."""
    workdir = tmp_path_factory.mktemp("outbid-email")
    database: TestDatabase = provision_test_database(workdir)
    try:
        async with serving_with_pipeline(
            database,
            redis_url,
            kafka,
            workdir,
            reactor=True,
            smtp_host="127.0.0.1",
            smtp_port=inbox[1],
            smtp_from="auctions@verachain.test",
        ) as api:
            yield api
    finally:
        database.drop()


async def test_an_outbid_bidder_gets_the_email_they_set_through_the_api(
    mailing_api: RunningApi, inbox: tuple[Inbox, int]
) -> None:
    api, mail = mailing_api, inbox[0]
    run = uuid.uuid4().hex[:6]
    names = {who: f"{who}-{run}" for who in ("alice", "bob", "carol")}
    tokens = {who: api.token(name, Role.BIDDER) for who, name in names.items()}

    async def ok(query: str, variables: dict[str, object], who: str) -> None:
        answer = await api.graphql(query, variables, tokens[who])
        assert not answer.get("errors"), answer

    # Alice types her domain in capitals; the e-mail goes to the stored, folded spelling.
    await ok(SET_EMAIL, {"e": f"Alice.{run}@Example.TEST"}, "alice")
    await ok(SET_EMAIL, {"e": f"bob.{run}@example.test"}, "bob")
    alice_address, bob_address = f"Alice.{run}@example.test", f"bob.{run}@example.test"
    opened = await one_open_auction(api.settings)
    auction = str(opened.auction_id)

    async def bid(who: str, steps: int) -> None:
        amount: Decimal = opened.reserve + steps * opened.increment
        await ok(BID, {"a": auction, "amount": str(amount)}, who)

    def mails_to(address: str) -> list[Message]:
        return [message for to, message in mail.messages if to == [address]]

    await bid("alice", 0)
    await bid("bob", 1)  # alice is outbid

    async def alice_mailed() -> list[Message] | None:
        return mails_to(alice_address) or None

    (outbid,) = await eventually(alice_mailed, "alice's outbid e-mail", timeout_s=90)
    assert outbid["Subject"] == f"You have been outbid on auction {auction}"
    assert outbid["From"] == "auctions@verachain.test"
    assert f"{opened.reserve + opened.increment}" in outbid.get_payload()

    # Alice clears her address: the next time she is outbid nobody is mailed. Carol's bid
    # after it outbids bob, and bob's e-mail proves the notifier got past bob's bid.
    await ok(SET_EMAIL, {"e": None}, "alice")
    await bid("alice", 2)  # bob is outbid: mailed
    await bid("bob", 3)  # alice is outbid: no address, no e-mail
    await bid("carol", 4)  # bob is outbid again: mailed

    async def bob_mailed_twice() -> list[Message] | None:
        found = mails_to(bob_address)
        return found if len(found) == 2 else None

    await eventually(bob_mailed_twice, "bob's two outbid e-mails", timeout_s=60)
    # Every job the notifier enqueued up to carol's bid is on the topic by now (it sends
    # an event's jobs before it moves past the event), so this is the complete list.
    jobs = await read_all(
        api.settings.kafka_bootstrap or "", [job_topic(NOTIFICATION)], expect_at_least=3
    )
    recipients = sorted(str(job.envelope["payload"]["recipient"]) for job in jobs)
    assert recipients == [alice_address, bob_address, bob_address]
    assert len(mails_to(alice_address)) == 1
