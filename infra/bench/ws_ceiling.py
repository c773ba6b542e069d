"""The fan-out client's own ceiling: the same subscribers (api_fanout.py) against a minimal
WebSocket server - websockets' own, in a process of its own - that acknowledges
`subscribe:auction` like `/ws` and, told so over a control connection, sends one update (a
copy of what the API sent) to all of them with `websockets.broadcast`. How long the client
takes to receive N updates from a server that costs next to nothing bounds how much of
the API's fan-out time is the client's. (With permessage-deflate negotiated the minimal
server compresses for each connection too, and is then as busy as the client: the figure
is the pair's, an upper bound on the client's share.)

Run as `python -m infra.bench.ws_ceiling PORT`."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.asyncio.server import ServerConnection, broadcast, serve

from infra.bench.api_fanout import FanoutConfig, Tick, run_fanout
from infra.bench.cpu_usage import CpuMeter
from infra.loopback_process import free_port

HOST = "127.0.0.1"
SYNTHETIC_UPDATE = json.dumps(
    {"type": "auction:update", "kind": "BID_PLACED", "position": 0, "amount": "100.00"}
)


async def _serve(port: int) -> None:
    subscribers: set[ServerConnection] = set()

    async def handler(connection: ServerConnection) -> None:
        try:
            async for raw in connection:
                message = json.loads(raw)
                if message.get("type") == "subscribe:auction":
                    subscribers.add(connection)
                    reply = {**message, "type": "subscribed", "topic": "auction"}
                    await connection.send(json.dumps(reply))
                elif message.get("type") == "broadcast":
                    broadcast(subscribers, str(message["payload"]))
                    await connection.send('{"type": "broadcast:sent"}')
        finally:
            subscribers.discard(connection)

    async with serve(handler, HOST, port, ping_interval=None, max_queue=16, backlog=2048):
        await asyncio.Future()


async def run_ws_ceiling(
    subscribers: int, update: str | None, *, deflate: bool, freeze_gc: bool, tick: Tick
) -> dict[str, Any]:
    """The fan-out figures of `subscribers` against the minimal server (one level)."""
    payload = update or SYNTHETIC_UPDATE
    port = free_port()
    server = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "infra.bench.ws_ceiling",
        str(port),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        control = await _connect_when_up(f"ws://{HOST}:{port}", server)
        position = int(json.loads(payload).get("position", 0))

        async def trigger(_number: int) -> tuple[int, float, float]:
            sent_at = time.perf_counter()  # the time origin: the broadcast is asked for
            await control.send(json.dumps({"type": "broadcast", "payload": payload}))
            return position, sent_at, sent_at

        config = FanoutConfig(
            ws_url=f"ws://{HOST}:{port}",
            auction_id="00000000-0000-0000-0000-000000000000",
            levels=(subscribers,),
            server_pid=server.pid,
            redis_url=None,
            deflate=deflate,
            freeze_gc=freeze_gc,
        )
        meter = CpuMeter({"ceiling_server": server.pid, "bench": os.getpid()})
        try:
            result = await run_fanout(config, trigger, meter, tick)
        finally:
            await control.close()
    finally:
        server.terminate()
        await server.wait()
    level: dict[str, Any] = result["levels"][0]
    return level | {
        "update_bytes": len(payload.encode()),
        "timed_from": "the broadcast request (from_ack)",
    }


async def _connect_when_up(url: str, server: asyncio.subprocess.Process) -> ClientConnection:
    for _ in range(200):
        if server.returncode is not None:
            raise RuntimeError(f"the ceiling server exited with {server.returncode}")
        try:
            return await connect(url, ping_interval=None, proxy=None)
        except OSError:
            await asyncio.sleep(0.05)
    raise TimeoutError("the ceiling server did not start")


if __name__ == "__main__":
    try:  # the same event loop as the API's uvicorn, when it is installed
        import uvloop
    except ImportError:
        asyncio.run(_serve(int(sys.argv[1])))
    else:
        uvloop.run(_serve(int(sys.argv[1])))
