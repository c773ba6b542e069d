"""The live dashboard at `/`, in a real browser (Debian's Chromium, headless) against the
real API, relay, broker and worker: it lists an open auction, shows a bid placed over HTTP
within seconds (through the GraphQL subscription), shows a verification update live, prints
a hostile product name as text, and runs under the API's Content-Security-Policy."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import time
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from playwright.async_api import ConsoleMessage, Dialog, Error, expect
from starlette.applications import Starlette
from starlette.middleware import Middleware

from api.dashboard_routes import dashboard_routes
from api.http_guards import DEFAULT_CSP, SecurityHeaders
from commands.actor import Role
from tests.e2e.dashboard_support import chromium, graphql_ok, open_auction
from tests.integration.api.conftest import RunningApi, serving_with_pipeline
from tests.support.database import TestDatabase, provision_test_database
from tests.support.kafka import KafkaTarget

needs_chromium = pytest.mark.skipif(
    shutil.which("chromium") is None,
    reason="Debian's chromium is not installed (`make test` installs it with apt-get)",
)

HOSTILE_NAME = "<img src=x onerror=alert(1)> Hostile watch"
LIVE_S = 20.0  # the bound on "within seconds" for a change to reach the page

AUCTION = """query($a: ID!) { auction(id: $a) { id bidCount } }"""
REGISTER = """mutation($input: RegisterProductInput!) {
  registerProduct(input: $input) { position productId } }"""
PRODUCT = """query($p: ID!, $pos: Int) { product(id: $p, minPosition: $pos) { id name } }"""
REQUEST_VERIFICATION = """mutation($p: ID!, $e: EvidenceInput!) {
  requestVerification(productId: $p, evidence: $e) { position verificationId } }"""
BID = """mutation($a: ID!, $amount: Decimal!) { placeBid(auctionId: $a, amount: $amount) {
  position bidId } }"""


@pytest.fixture
async def dashboard_api(
    redis_url: str, kafka: KafkaTarget, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[RunningApi]:
    workdir = tmp_path_factory.mktemp("dashboard")
    database: TestDatabase = provision_test_database(workdir)
    try:
        async with serving_with_pipeline(database, redis_url, kafka, workdir) as api:
            yield api
    finally:
        database.drop()


@pytest.fixture
def artifacts() -> Path:
    folder = Path(os.environ.get("VERACHAIN_TEST_ARTIFACTS", "test-artifacts"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


async def _until_checkpoint_covers(api: RunningApi, position: int, timeout_s: float = 60) -> int:
    """The tree size of the first signed checkpoint that covers the event at `position`."""
    deadline = time.monotonic() + timeout_s
    while True:
        answer = await api.client.get(f"{api.url}/audit/checkpoint")
        if answer.status_code == 200:
            size = int(answer.text.split("\n")[1])
            if size >= position:  # positions start at 1 and are dense in this fresh store
                return size
        else:
            assert answer.status_code == 404, answer.text
        assert time.monotonic() < deadline, "no checkpoint covers the registration"
        await asyncio.sleep(0.2)


async def _until_listed(api: RunningApi, auction_id: str, timeout_s: float = 60) -> None:
    """The read model has the auction (the worker may still be joining its group)."""
    deadline = time.monotonic() + timeout_s
    while True:
        data = await graphql_ok(api, AUCTION, {"a": auction_id})
        if data["auction"] is not None:
            return
        assert time.monotonic() < deadline, f"auction {auction_id} never reached the read model"
        await asyncio.sleep(0.2)


async def test_the_page_and_its_files_are_served_with_their_types() -> None:
    app = Starlette(routes=dashboard_routes(), middleware=[Middleware(SecurityHeaders)])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://dashboard") as client:
        page = await client.get("/")
        script = await client.get("/dashboard/dashboard.js")
        style = await client.get("/dashboard/dashboard.css")
        again = await client.get(
            "/dashboard/dashboard.js", headers={"If-None-Match": script.headers["etag"]}
        )
        missing = await client.get("/dashboard/other.js")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["content-security-policy"] == DEFAULT_CSP
    assert '<script src="/dashboard/dashboard.js" defer></script>' in page.text
    assert "<style" not in page.text
    assert "style=" not in page.text
    assert script.headers["content-type"] == "text/javascript; charset=utf-8"
    assert "graphql-transport-ws" in script.text
    assert style.headers["content-type"] == "text/css; charset=utf-8"
    assert again.status_code == 304
    assert again.content == b""
    assert missing.status_code == 404
    for answer in (page, script, style):
        assert answer.headers["cache-control"] == "no-cache"


@needs_chromium
async def test_the_dashboard_shows_bids_and_verifications_live(
    dashboard_api: RunningApi, artifacts: Path
) -> None:
    api = dashboard_api
    page_answer = await api.client.get(f"{api.url}/")
    assert page_answer.status_code == 200
    assert page_answer.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in page_answer.headers["content-security-policy"]

    auction_id, reserve = await open_auction(api)
    maker = api.token("acme-watches", Role.MANUFACTURER)
    registered = (
        await graphql_ok(
            api,
            REGISTER,
            {
                "input": {
                    "sku": "HW-1",
                    "serialNumber": f"HW-{uuid.uuid4().hex[:8]}",
                    "name": HOSTILE_NAME,
                    "manufacturer": "acme-watches",
                }
            },
            maker,
        )
    )["registerProduct"]
    product_id = registered["productId"]
    shown = await graphql_ok(api, PRODUCT, {"p": product_id, "pos": registered["position"]})
    assert shown["product"]["name"] == HOSTILE_NAME
    await _until_listed(api, auction_id)
    signed_size = await _until_checkpoint_covers(api, registered["position"])

    async with chromium() as browser:
        page = await browser.new_page(viewport={"width": 1440, "height": 900})
        dialogs: list[str] = []
        problems: list[str] = []

        async def on_dialog(dialog: Dialog) -> None:
            dialogs.append(dialog.message)
            await dialog.dismiss()

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                problems.append(message.text)

        def on_page_error(error: Error) -> None:
            problems.append(f"uncaught: {error}")

        page.on("dialog", on_dialog)
        page.on("console", on_console)
        page.on("pageerror", on_page_error)

        await page.goto(f"{api.url}/")
        row = page.locator(f'tr[data-auction-id="{auction_id}"]')
        await expect(row).to_have_attribute("data-live", "true", timeout=LIVE_S * 1000)
        await expect(row.locator(".bid-count")).to_have_text("0")
        await expect(row.locator(".highest-bid")).to_have_attribute("data-amount", "")
        await expect(page.locator("#connection")).to_have_attribute("data-state", "live")

        # The hostile name is text: shown literally, no element made of it, no alert.
        product_row = page.locator(f'#products-body tr[data-product-id="{product_id}"]')
        await expect(product_row.locator(".product-name")).to_have_text(HOSTILE_NAME)
        assert await page.locator("main img").count() == 0

        # The audit checkpoint panel shows the latest signed note (the relay process runs the
        # audit log, which signs a new one as events come, so the size only grows).
        await expect(page.locator("#checkpoint")).to_have_attribute("data-state", "present")
        await expect(page.locator("#checkpoint-origin")).to_have_text("verachain/audit/v1")
        shown_size = int((await page.locator("#checkpoint-size").inner_text()).replace(",", ""))
        assert shown_size >= signed_size
        await expect(page.locator("#checkpoint-note")).to_have_text(
            re.compile(r"^verachain/audit/v1\n\d+\n[A-Za-z0-9+/]{43}=\n\n— verachain/audit/v1 ")
        )

        # Let the catch-up read after subscribing pass: what follows must come live.
        await asyncio.sleep(1.0)
        bidder = api.token("bo", Role.BIDDER)
        placed = await graphql_ok(api, BID, {"a": auction_id, "amount": str(reserve)}, bidder)
        assert placed["placeBid"]["bidId"]
        await expect(row.locator(".bid-count")).to_have_text("1", timeout=LIVE_S * 1000)
        await expect(row.locator(".highest-bidder")).to_have_text("bo")
        shown_amount = await row.locator(".highest-bid").get_attribute("data-amount")
        assert shown_amount is not None
        assert Decimal(shown_amount) == reserve
        await expect(row).to_have_attribute("data-position", str(placed["placeBid"]["position"]))

        # A verification requested now reaches the feed, under the hostile name as text.
        requested = await graphql_ok(
            api,
            REQUEST_VERIFICATION,
            {
                "p": product_id,
                "e": {"imageHashes": [await api.upload_evidence(maker)], "notes": "photos"},
            },
            maker,
        )
        item = page.locator(f'#verification-feed li[data-product-id="{product_id}"]').first
        await expect(item).to_be_visible(timeout=LIVE_S * 1000)
        await expect(item.locator(".feed-product")).to_have_text(HOSTILE_NAME)
        await expect(product_row.locator(".verification-status")).to_have_text(
            "PENDING", timeout=LIVE_S * 1000
        )
        assert requested["requestVerification"]["verificationId"]

        await page.wait_for_timeout(300)  # the bid's highlight is still on, half faded
        await page.screenshot(path=str(artifacts / "dashboard.png"), full_page=True)
        assert await page.locator("main img").count() == 0
        assert dialogs == []
        assert problems == []
