"""The whole life of a product through GraphQL, black-box: register → verify (AI, then an
inspector) → certify → auction → bids → close, each read back through the read models
with `minPosition`; and the errors a client gets on the way."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from commands.actor import Role
from tests.integration.api.conftest import RunningApi

REGISTER = """mutation($input: RegisterProductInput!) {
  registerProduct(input: $input) { position productId } }"""
REQUEST = """mutation($p: ID!) { requestVerification(productId: $p,
  evidence: {imageHashes: ["%s"], notes: "front and back"}) { position verificationId } }"""
AI = """mutation($v: ID!) { recordAiAssessment(verificationId: $v, authenticityScore: "0.97",
  modelName: "authenticity", modelVersion: "1.0.0", modelSha256: "%s") { position } }"""
INSPECT = """mutation($v: ID!) { recordInspection(verificationId: $v, verdict: AUTHENTIC,
  notes: "stitching matches") { position } }"""
CERTIFY = """mutation($p: ID!) { issueCertificate(productId: $p) { position certificateId } }"""
OPEN = (
    """mutation($input: OpenAuctionInput!) { openAuction(input: $input) { position auctionId } }"""
)
BID = """mutation($a: ID!, $amount: Decimal!, $key: String) {
  placeBid(auctionId: $a, amount: $amount, idempotencyKey: $key) {
    position bidId auctionId replayed } }"""
CLOSE = """mutation($a: ID!) { closeAuction(auctionId: $a) { position } }"""
AUCTION = """query($id: ID!, $pos: Int) { auction(id: $id, minPosition: $pos) {
  status bidCount winnerId highestBid { bidderId amount { amount currency } }
  bids(first: 2) { bidderId amount { amount } }
  product { sku verificationStatus certificates { status verdict } } } }"""


def data(body: dict[str, Any]) -> dict[str, Any]:
    assert not body.get("errors"), body
    result: dict[str, Any] = body["data"]
    return result


def error_code(body: dict[str, Any]) -> str:
    assert body.get("errors"), body
    code: str = body["errors"][0]["extensions"]["code"]
    return code


async def test_a_product_goes_from_registration_to_a_sold_auction(running_api: RunningApi) -> None:
    api = running_api
    maker = api.token("acme", Role.MANUFACTURER)
    admin = api.token("ops", Role.ADMIN)
    inspector = api.token("ines", Role.INSPECTOR)
    bidders = [api.token(name, Role.BIDDER) for name in ("bo", "bea")]

    registered = data(
        await api.graphql(
            REGISTER,
            {
                "input": {
                    "sku": "B-1",
                    "serialNumber": "SN-1",
                    "name": "Bag",
                    "manufacturer": "Acme",
                }
            },
            maker,
        )
    )["registerProduct"]
    product_id = registered["productId"]
    requested = data(
        await api.graphql(REQUEST % await api.upload_evidence(maker), {"p": product_id}, maker)
    )
    verification_id = requested["requestVerification"]["verificationId"]
    data(await api.graphql(AI % ("cd" * 32), {"v": verification_id}, admin))
    data(await api.graphql(INSPECT, {"v": verification_id}, inspector))
    data(await api.graphql(CERTIFY, {"p": product_id}, inspector))

    now = datetime.now(UTC)
    opened = data(
        await api.graphql(
            OPEN,
            {
                "input": {
                    "productId": product_id,
                    "reservePrice": "100.00",
                    "minIncrement": "5.00",
                    "currency": "EUR",
                    "startsAt": now.isoformat(),
                    "endsAt": (now + timedelta(seconds=8)).isoformat(),
                    "extensionWindowSeconds": 0,
                }
            },
            maker,
        )
    )["openAuction"]
    auction_id = opened["auctionId"]
    early = await api.graphql(CLOSE, {"a": auction_id}, maker)
    assert error_code(early) == "VALIDATION_FAILED"  # it runs until endsAt
    first = data(await api.graphql(BID, {"a": auction_id, "amount": "100.00"}, bidders[0]))
    second = data(
        await api.graphql(BID, {"a": auction_id, "amount": "105.00", "key": "k-1"}, bidders[1])
    )["placeBid"]
    replay = data(
        await api.graphql(BID, {"a": auction_id, "amount": "105.00", "key": "k-1"}, bidders[1])
    )["placeBid"]
    assert replay["replayed"] is True
    assert replay["bidId"] == second["bidId"]
    assert first["placeBid"]["position"] < second["position"]

    low = await api.graphql(BID, {"a": auction_id, "amount": "101.00"}, bidders[0])
    assert error_code(low) == "BID_TOO_LOW"

    seen = await api.graphql(AUCTION, {"id": auction_id, "pos": second["position"]})
    auction = data(seen)["auction"]
    assert seen.get("extensions", {}).get("stale") is not True
    assert auction["status"] == "OPEN"
    assert auction["bidCount"] == 2
    assert auction["highestBid"] == {
        "bidderId": "bea",
        "amount": {"amount": "105.00", "currency": "EUR"},
    }
    assert [b["bidderId"] for b in auction["bids"]] == ["bea", "bo"]
    assert auction["product"]["verificationStatus"] == "AUTHENTIC"
    assert auction["product"]["certificates"] == [{"status": "VALID", "verdict": "AUTHENTIC"}]

    await asyncio.sleep(max(0.0, (now + timedelta(seconds=8) - datetime.now(UTC)).total_seconds()))
    # The seller closes it, unless the auction timer (the worker's) was quicker.
    closing = await api.graphql(CLOSE, {"a": auction_id}, maker)
    if closing.get("errors"):
        assert error_code(closing) == "AUCTION_NOT_OPEN"
        closed_at = None
    else:
        closed_at = closing["data"]["closeAuction"]["position"]
    deadline = asyncio.get_running_loop().time() + 30
    while True:
        final = data(await api.graphql(AUCTION, {"id": auction_id, "pos": closed_at}))
        if final["auction"]["status"] == "CLOSED":
            break
        assert asyncio.get_running_loop().time() < deadline, final
        await asyncio.sleep(0.1)
    assert final["auction"]["winnerId"] == "bea"
