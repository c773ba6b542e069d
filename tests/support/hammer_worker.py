"""A child process with its own event store and bus, for multi-process write tests.

Run as `python -m tests.support.hammer_worker PLAN.json`. It builds its store and bus,
prints READY, waits for a GO line on stdin (so several workers start at the same moment),
does what the plan says, writes a JSON report and prints DONE. Nothing connects at import.

Modes: "bids" has `clients` asyncio clients bid on the plan's auctions, each bid the
process's current view of the minimum plus a little, some deliberately too low (with logs
of intents and fsynced results, a parent may SIGKILL it and check what it was told);
"register" sends `register_count` identical product registrations at once."""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import time
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, Literal, TypedDict
from uuid import UUID

from commands.actor import Actor, Role
from commands.batch_stats import BatchStats
from commands.bus import CommandBus
from commands.messages import Command, PlaceBid, RegisterProduct
from commands.results import CommandResult
from commands.submission import InternalError
from domain.errors import BidTooLow, DomainError
from infra.bootstrap import build_bus, build_event_store
from infra.settings import Settings

Mode = Literal["bids", "register"]


class Accepted(TypedDict):
    actor: str
    key: str | None
    aggregate_id: str
    version: int
    position: int
    ids: dict[str, str]
    amount: str | None
    replayed: bool


class Refused(TypedDict):
    actor: str
    key: str | None
    aggregate_id: str | None
    amount: str | None
    code: str
    error: str


class Intent(TypedDict):
    """A bid about to be dispatched, so a parent can send the very same command again."""

    actor: str
    key: str | None
    auction_id: str
    amount: str


class Report(TypedDict):
    name: str
    accepted: list[Accepted]
    refused: list[Refused]
    stats: dict[str, int]


@dataclass(frozen=True)
class AuctionTarget:
    auction_id: str
    reserve_price: str
    min_increment: str


@dataclass(frozen=True)
class WorkerPlan:
    mode: Mode
    name: str  # distinguishes the workers' actors and idempotency keys
    database_url: str
    report_path: str
    clients: int = 32
    seconds: float = 2.5  # each client stops after this long, or after bids_per_client bids
    bids_per_client: int = 1_000_000
    seed: int = 0
    too_low_share: float = 0.2
    jump_share: float = 0.1
    # A client waits up to this long between its bids (0: it hammers without pause).
    max_think_seconds: float = 0.0
    auctions: list[AuctionTarget] = field(default_factory=list)
    with_idempotency_keys: bool = False
    # One JSON line per accepted bid, flushed and fsynced before the next bid is sent.
    results_log: str | None = None
    # One JSON line per bid just before it is dispatched.
    intents_log: str | None = None
    manufacturer: str = ""
    serial_number: str = ""
    register_count: int = 0
    shared_key: str | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> WorkerPlan:
        data: dict[str, Any] = json.loads(text)
        data["auctions"] = [AuctionTarget(**a) for a in data["auctions"]]
        return cls(**data)


def accepted_record(
    result: CommandResult, actor: Actor, command: Command, amount: Decimal | None
) -> Accepted:
    return {
        "actor": actor.id,
        "key": command.idempotency_key,
        "aggregate_id": result.aggregate_id,
        "version": result.aggregate_version,
        "position": result.position,
        "ids": result.ids,
        "amount": None if amount is None else str(amount),
        "replayed": result.replayed,
    }


def refused_record(
    error: BaseException, actor: Actor, command: Command, aggregate_id: UUID | None
) -> Refused:
    code = error.code if isinstance(error, DomainError | InternalError) else "UNEXPECTED"
    amount = command.amount if isinstance(command, PlaceBid) else None
    return {
        "actor": actor.id,
        "key": command.idempotency_key,
        "aggregate_id": None if aggregate_id is None else str(aggregate_id),
        "amount": None if amount is None else str(amount),
        "code": code,
        "error": f"{type(error).__name__}: {error}",
    }


def stats_of(stats: BatchStats) -> dict[str, int]:
    return {
        "batches": stats.batches,
        "commands": stats.commands,
        "saved_events": stats.saved_events,
        "conflict_reruns": stats.conflict_reruns,
        "stale_refusal_reruns": stats.stale_refusal_reruns,
        "max_batch": max(stats.batch_sizes, default=0),
    }


def append_line(log: IO[str], record: object, *, durable: bool) -> None:
    log.write(json.dumps(record) + "\n")
    log.flush()
    if durable:
        os.fsync(log.fileno())


class BidHammer:
    """The worker's bidding clients and what they were told."""

    def __init__(self, plan: WorkerPlan, bus: CommandBus) -> None:
        self.plan = plan
        self.bus = bus
        self.rng = random.Random(plan.seed)
        # The process's view of each auction's next minimum bid, learnt from answers.
        self.view = {UUID(a.auction_id): Decimal(a.reserve_price) for a in plan.auctions}
        self.increments = {UUID(a.auction_id): Decimal(a.min_increment) for a in plan.auctions}
        self.accepted: list[Accepted] = []
        self.refused: list[Refused] = []

    async def run(self) -> None:
        deadline = time.monotonic() + self.plan.seconds
        with (
            _open_log(self.plan.results_log) as results,
            _open_log(self.plan.intents_log) as intents,
        ):
            await asyncio.gather(
                *(self._client(i, deadline, results, intents) for i in range(self.plan.clients))
            )

    def _next_amount(self, auction_id: UUID) -> Decimal:
        minimum = self.view[auction_id]
        increment = self.increments[auction_id]
        cents = Decimal(self.rng.randint(0, 99)) / 100
        draw = self.rng.random()
        if draw < self.plan.jump_share:  # a bidder who wants it
            return minimum + increment * self.rng.randint(2, 10) + cents
        if draw < self.plan.jump_share + self.plan.too_low_share:
            return max(minimum - increment * self.rng.randint(1, 3) + cents, Decimal("0.01"))
        return minimum + increment * self.rng.randint(0, 1) + cents

    async def _client(
        self, index: int, deadline: float, results: IO[str] | None, intents: IO[str] | None
    ) -> None:
        bidder = Actor.of(f"bidder-{self.plan.name}-{index}", Role.BIDDER)
        sent = 0
        while time.monotonic() < deadline and sent < self.plan.bids_per_client:
            if self.plan.max_think_seconds > 0:
                await asyncio.sleep(self.rng.uniform(0, self.plan.max_think_seconds))
            auction_id = self.rng.choice(list(self.view))
            amount = self._next_amount(auction_id)
            key = f"{self.plan.name}-{index}-{sent}" if self.plan.with_idempotency_keys else None
            sent += 1
            command = PlaceBid(auction_id=auction_id, amount=amount, idempotency_key=key)
            if intents is not None:
                intent: Intent = {
                    "actor": bidder.id,
                    "key": key,
                    "auction_id": str(auction_id),
                    "amount": str(amount),
                }
                append_line(intents, intent, durable=False)
            try:
                result = await self.bus.dispatch(command, bidder)
            except BidTooLow as e:
                self.view[auction_id] = max(self.view[auction_id], Decimal(e.details["minimum"]))
                self.refused.append(refused_record(e, bidder, command, auction_id))
            except Exception as e:  # every refusal is reported; the parent judges them
                self.refused.append(refused_record(e, bidder, command, auction_id))
            else:
                record = accepted_record(result, bidder, command, amount)
                self.accepted.append(record)
                if results is not None:
                    append_line(results, record, durable=True)
                next_minimum = amount + self.increments[auction_id]
                self.view[auction_id] = max(self.view[auction_id], next_minimum)


async def register_duplicates(
    plan: WorkerPlan, bus: CommandBus
) -> tuple[list[Accepted], list[Refused]]:
    command = RegisterProduct(
        sku="DUP-1",
        serial_number=plan.serial_number,
        name="Contested item",
        manufacturer=plan.manufacturer,
        idempotency_key=plan.shared_key,
    )
    if plan.shared_key is None:  # many makers racing for the same item
        names = [f"maker-{plan.name}-{i}" for i in range(plan.register_count)]
    else:  # one maker's retries, sent from several processes
        names = ["maker-shared"] * plan.register_count
    makers = [Actor.of(name, Role.MANUFACTURER) for name in names]
    outcomes = await asyncio.gather(
        *(bus.dispatch(command, maker) for maker in makers), return_exceptions=True
    )
    accepted: list[Accepted] = []
    refused: list[Refused] = []
    for maker, outcome in zip(makers, outcomes, strict=True):
        if isinstance(outcome, CommandResult):
            accepted.append(accepted_record(outcome, maker, command, None))
        else:
            refused.append(refused_record(outcome, maker, command, None))
    return accepted, refused


async def run(plan: WorkerPlan) -> int:
    settings = Settings.from_env({}).with_database(plan.database_url)
    store = build_event_store(settings)
    try:
        bus = build_bus(settings, store)
        async with bus:
            print("READY", flush=True)
            line = await asyncio.to_thread(sys.stdin.readline)
            if line.strip() != "GO":
                return 2
            if plan.mode == "bids":
                hammer = BidHammer(plan, bus)
                await hammer.run()
                accepted, refused = hammer.accepted, hammer.refused
            else:
                accepted, refused = await register_duplicates(plan, bus)
        report: Report = {
            "name": plan.name,
            "accepted": accepted,
            "refused": refused,
            "stats": stats_of(bus.processor.stats),
        }
        await asyncio.to_thread(Path(plan.report_path).write_text, json.dumps(report))
    finally:
        store.close()
    print("DONE", flush=True)
    return 0


def _open_log(path: str | None) -> AbstractContextManager[IO[str] | None]:
    if path is None:
        return nullcontext()
    return open(path, "a", encoding="utf-8")


def main(argv: list[str]) -> int:
    plan = WorkerPlan.from_json(Path(argv[1]).read_text())
    return asyncio.run(run(plan))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
