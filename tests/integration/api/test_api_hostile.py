"""Hostile input: injection strings are stored and returned verbatim and inert; garbage
frames on the GraphQL WebSocket and rejected requests change nothing; a SIGTERM with
WebSockets open still stops the API promptly."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
import websockets

from commands.actor import Role
from infra.kafka_broker import free_port
from tests.integration.api.conftest import RunningApi

NASTY = {
    "sku": "'; DROP TABLE read_model.products; --",
    "serialNumber": f'SN-{uuid.uuid4().hex[:6]}" OR 1=1 --',
    "name": "<script>alert('x')</script><img src=x onerror=alert(1)>",
    "manufacturer": "Robert'); DELETE FROM verachain_events; --",
}
REGISTER = """mutation($input: RegisterProductInput!) {
  registerProduct(input: $input) { position productId } }"""
PRODUCT = """query($p: ID!, $pos: Int) { product(id: $p, minPosition: $pos) {
  sku serialNumber name manufacturer } }"""


def head(database_url: str) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT coalesce(max(notification_id), 0) FROM verachain_events")
        value = row.fetchone()
    return int(value[0]) if value else 0


async def test_injection_strings_come_back_verbatim_and_inert(running_api: RunningApi) -> None:
    api = running_api
    maker = api.token("acme", Role.MANUFACTURER)
    written = await api.graphql(REGISTER, {"input": NASTY}, maker)
    assert not written.get("errors"), written
    payload = written["data"]["registerProduct"]
    read = await api.graphql(PRODUCT, {"p": payload["productId"], "pos": payload["position"]})
    assert read["data"]["product"] == NASTY
    assert not read.get("extensions", {}).get("stale")
    assert api.settings.database_url is not None
    assert head(api.settings.database_url) == payload["position"]  # nothing deleted


async def test_garbage_on_the_graphql_websocket_changes_nothing(running_api: RunningApi) -> None:
    api = running_api
    assert api.settings.database_url is not None
    before = head(api.settings.database_url)
    url = api.url.replace("http", "ws") + "/graphql"
    async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send("{this is not json")
        with pytest.raises(websockets.ConnectionClosed) as invalid:
            await asyncio.wait_for(ws.recv(), 5)
    assert invalid.value.rcvd is not None
    assert invalid.value.rcvd.code == 4400  # the protocol's "invalid message"
    async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": "x"}}))
        with pytest.raises(websockets.ConnectionClosed) as rejected:
            await asyncio.wait_for(ws.recv(), 5)
    assert rejected.value.rcvd is not None
    assert rejected.value.rcvd.code == 4403  # rejected: a bad token
    health = await api.client.get(f"{api.url}/health")
    assert health.status_code == 200
    assert head(api.settings.database_url) == before


async def test_sigterm_with_open_websockets_stops_the_api_promptly(
    running_api: RunningApi, tmp_path: Path
) -> None:
    port = free_port()
    env = {**os.environ, **running_api.settings.to_env(), "VERACHAIN_API_PORT": str(port)}
    with (tmp_path / "api.log").open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "infra.cli", "api", env=env, stdout=log, stderr=log
        )
    try:
        url = f"ws://127.0.0.1:{port}/ws"
        for _ in range(300):
            try:
                client = await websockets.connect(url)
                break
            except OSError:
                await asyncio.sleep(0.1)
        else:
            raise AssertionError((tmp_path / "api.log").read_text())
        await client.send(json.dumps({"type": "subscribe:auction", "auctionId": str(uuid.uuid4())}))
        await client.recv()
        process.send_signal(signal.SIGTERM)
        # uvicorn closes the open WebSockets, shuts down within its graceful timeout, then
        # exits by the signal it caught (so a supervisor sees why it stopped).
        code = await asyncio.wait_for(process.wait(), 15)
        assert code in (0, -signal.SIGTERM), (tmp_path / "api.log").read_text()
        with pytest.raises(websockets.ConnectionClosed):
            await asyncio.wait_for(client.recv(), 5)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
