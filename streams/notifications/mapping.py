"""Which events become which e-mails. Pure: an envelope and what the notifier remembers of
its aggregate in, the e-mails and the new memory out.

The memory exists because events alone do not name every recipient: a BidPlaced names the
new highest bidder, not the one it outbid; an InspectionRecorded names the inspector, not
the owner who asked (VerificationRequested's `requested_by`, the owner or an admin)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

# Fixed forever: job ids derive from it, and a changed id would defeat deduplication.
JOB_ID_NAMESPACE = uuid.UUID("6f1d9a52-8c1e-4d7b-9a57-3c0e2b6f4e11")


@dataclass(frozen=True, slots=True)
class Memory:
    """What the notifier keeps per aggregate: the last version it handled, and facts."""

    version: int
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Email:
    job_id: str  # deterministic per (event, template, recipient): redelivered events dedupe
    template: str
    recipient_id: str
    subject: str
    body: str

    def payload(self, recipient: str) -> dict[str, Any]:
        return {
            "recipient": recipient,
            "recipient_id": self.recipient_id,
            "template": self.template,
            "subject": self.subject,
            "body": self.body,
        }


@dataclass(frozen=True, slots=True)
class Step:
    memory: Memory | None  # None: nothing to remember (the caller stores nothing)
    emails: list[Email]


RELEVANT_TYPES = frozenset(
    {"BidPlaced", "AuctionClosed", "VerificationRequested", "InspectionRecorded"}
)


def notifications_for(envelope: dict[str, Any], memory: Memory | None) -> Step:
    """The e-mails an event causes. An event at or below the remembered version was handled
    already (at-least-once delivery): it causes nothing and changes nothing."""
    kind = envelope.get("type")
    if kind not in RELEVANT_TYPES:
        return Step(None, [])
    version = int(envelope["aggregate_version"])
    if memory is not None and version <= memory.version:
        return Step(None, [])
    facts = dict(memory.facts) if memory else {}
    data: dict[str, Any] = envelope["data"]
    emails: list[Email] = []
    if kind == "BidPlaced":
        previous = facts.get("highest_bidder")
        bidder = data["bidder_id"]
        if previous and previous != bidder:
            emails.append(_outbid(envelope, previous))
        facts["highest_bidder"] = bidder
    elif kind == "AuctionClosed":
        if data.get("winner_id"):
            emails.append(_won(envelope))
    elif kind == "VerificationRequested":
        facts.update(requested_by=data["requested_by"], product_id=data["product_id"])
    elif kind == "InspectionRecorded" and facts.get("requested_by"):
        emails.append(_verified(envelope, facts["requested_by"], facts.get("product_id")))
    return Step(Memory(version, facts), emails)


def _email(envelope: dict[str, Any], template: str, to: str, subject: str, body: str) -> Email:
    job_id = uuid.uuid5(JOB_ID_NAMESPACE, f"{envelope['event_id']}/{template}/{to}")
    return Email(str(job_id), template, to, subject, body)


def _outbid(envelope: dict[str, Any], previous: str) -> Email:
    data, auction = envelope["data"], envelope["aggregate_id"]
    return _email(
        envelope,
        "outbid",
        previous,
        f"You have been outbid on auction {auction}",
        f"A bid of {data['amount']} {data['currency']} now leads auction {auction}.\n"
        "Bid again before it ends to stay in the race.\n",
    )


def _won(envelope: dict[str, Any]) -> Email:
    data, auction = envelope["data"], envelope["aggregate_id"]
    return _email(
        envelope,
        "won",
        data["winner_id"],
        f"You won auction {auction}",
        f"Your bid of {data['winning_amount']} {data['currency']} won auction {auction}.\n",
    )


def _verified(envelope: dict[str, Any], owner: str, product_id: str | None) -> Email:
    verdict = envelope["data"]["verdict"]
    product = product_id or "(unknown product)"
    return _email(
        envelope,
        "verification-done",
        owner,
        f"Verification of product {product}: {verdict}",
        f"The inspector recorded the verdict {verdict} for product {product} "
        f"(verification {envelope['aggregate_id']}).\n",
    )
