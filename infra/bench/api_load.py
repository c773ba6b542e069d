"""The API bench's HTTP load: a closed loop of keep-alive connections, each sending its
next request as soon as the previous answer arrived, for a fixed time.

The client is a few lines of HTTP/1.1 over an asyncio Protocol (pre-built request bytes,
responses framed by Content-Length), not httpx: on a 2-core machine the load generator
shares the CPUs with the server it measures, so every microsecond the client spends is
taken from the API. Its ceiling is measured in the same run against `/health`, and each
phase records the CPU time of every process involved (infra/bench/api_cpu.py), so a
client-bound figure shows as such."""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

# A request's bytes from the client's index and its request number within that client.
MakeRequest = Callable[[int, int], bytes]
# None when the answer is a success, else an error code (counted by code).
Classify = Callable[[int, bytes], str | None]
Tick = Callable[[float], None]


class _Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection with at most one request in flight."""

    def __init__(self) -> None:
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self._lost: Exception | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self._transport = cast(asyncio.Transport, transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost = exc or ConnectionResetError("the server closed the connection")
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(self._lost)

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        waiter = self._waiter
        if waiter is None or waiter.done():
            return
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = bytes(self._buffer[:end]).lower()
        marker = head.find(b"\r\ncontent-length:")
        if marker < 0:
            waiter.set_exception(ValueError("an answer without Content-Length"))
            return
        start = marker + len(b"\r\ncontent-length:")
        stop = head.find(b"\r\n", start)
        length = int(head[start : stop if stop >= 0 else len(head)])
        total = end + 4 + length
        if len(self._buffer) < total:
            return
        status = int(self._buffer[9:12])
        body = bytes(self._buffer[end + 4 : total])
        del self._buffer[:total]
        waiter.set_result((status, body))

    async def request(self, data: bytes) -> tuple[int, bytes]:
        if self._lost is not None or self._transport is None:
            raise ConnectionResetError("the connection is closed")
        self._waiter = asyncio.get_running_loop().create_future()
        self._transport.write(data)
        try:
            return await self._waiter
        finally:
            self._waiter = None

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


async def connect(host: str, port: int) -> _Connection:
    _, protocol = await asyncio.get_running_loop().create_connection(_Connection, host, port)
    return protocol


def get_request(host: str, port: int, path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nhost: {host}:{port}\r\n\r\n".encode()


def graphql_request(
    host: str, port: int, query: str, variables: dict[str, Any], token: str | None = None
) -> bytes:
    """A POST /graphql with a JSON body, as a browser's fetch would send it."""
    body = json.dumps({"query": query, "variables": variables}).encode()
    auth = f"authorization: Bearer {token}\r\n" if token else ""
    head = (
        f"POST /graphql HTTP/1.1\r\nhost: {host}:{port}\r\n"
        f"content-type: application/json\r\n{auth}content-length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def graphql_error_code(status: int, body: bytes) -> str | None:
    """None for a GraphQL answer without errors, else the first error's code."""
    if status == 200 and b'"errors"' not in body:
        return None
    try:
        errors = json.loads(body).get("errors") or []
    except ValueError:
        return f"HTTP_{status}"
    if not errors:
        return None if status == 200 else f"HTTP_{status}"
    code = (errors[0].get("extensions") or {}).get("code")
    return str(code) if code else f"HTTP_{status}"


@dataclass
class LoadRun:
    """What one closed-loop phase measured."""

    name: str
    clients: int
    seconds: float = 0.0
    ok: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    latencies_s: list[float] = field(default_factory=list)
    samples: list[bytes] = field(default_factory=list)  # a few successful bodies, for checks

    @property
    def per_s(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def percentile_ms(self, q: float) -> float:
        if len(self.latencies_s) < 2:
            return self.latencies_s[0] * 1000 if self.latencies_s else 0.0
        cuts = statistics.quantiles(self.latencies_s, n=1000, method="inclusive")
        return cuts[min(int(q * 1000) - 1, len(cuts) - 1)] * 1000

    def to_json(self) -> dict[str, Any]:
        return {
            "clients": self.clients,
            "seconds": round(self.seconds, 3),
            "ok": self.ok,
            "errors": dict(self.errors),
            "per_s": round(self.per_s, 1),
            "p50_ms": round(self.percentile_ms(0.50), 2),
            "p99_ms": round(self.percentile_ms(0.99), 2),
            "max_ms": round(max(self.latencies_s, default=0.0) * 1000, 2),
        }


async def closed_loop(
    name: str,
    address: tuple[str, int],
    *,
    clients: int,
    seconds: float,
    make_request: MakeRequest,
    classify: Classify,
    tick: Tick | None = None,
    keep_samples: int = 20,
) -> LoadRun:
    """`clients` connections, each sending its next request when the last was answered,
    until `seconds` elapsed; every answer's latency is recorded (errors included)."""
    run = LoadRun(name, clients)
    connections = [await connect(*address) for _ in range(clients)]
    started = time.perf_counter()
    deadline = started + seconds
    every = max(1, keep_samples and 1000 // keep_samples)

    async def client(index: int) -> None:
        connection = connections[index]
        n = 0
        while (now := time.perf_counter()) < deadline:
            data = make_request(index, n)
            n += 1
            try:
                status, body = await connection.request(data)
            except (OSError, ValueError) as error:
                run.errors[type(error).__name__] += 1
                connection.close()
                connection = connections[index] = await connect(*address)
                continue
            run.latencies_s.append(time.perf_counter() - now)
            code = classify(status, body)
            if code is None:
                run.ok += 1
                if len(run.samples) < keep_samples and run.ok % every == 1:
                    run.samples.append(body)
            else:
                run.errors[code] += 1

    async def report() -> None:
        while tick is not None:
            tick(min(1.0, (time.perf_counter() - started) / seconds))
            await asyncio.sleep(0.25)

    reporter = asyncio.create_task(report())
    try:
        await asyncio.gather(*(client(i) for i in range(clients)))
    finally:
        reporter.cancel()
        run.seconds = time.perf_counter() - started
        for connection in connections:
            connection.close()
    if tick is not None:
        tick(1.0)
    return run
