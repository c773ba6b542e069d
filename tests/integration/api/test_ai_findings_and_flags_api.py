"""Through GraphQL, black-box: the AI agent's system identity records an assessment with its
v2 findings, and flags a bid; both read back through the read models (minPosition)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from commands.actor import Role
from tests.integration.api.conftest import RunningApi
from tests.integration.api.test_graphql_flow import (
    AI,
    BID,
    CERTIFY,
    INSPECT,
    OPEN,
    REGISTER,
    REQUEST,
    data,
    error_code,
)

AI_V2 = """mutation($v: ID!, $models: [ModelInput!], $inputs: [String!]) {
  recordAiAssessment(verificationId: $v, authenticityScore: "0.91", modelName: "vera-auth",
    modelVersion: "1.0.0", modelSha256: "%s", qualityGrade: 4, ocrText: "SN-42",
    serialMatch: true, models: $models, inputHashes: $inputs) { position verificationId } }"""
PRODUCT = """query($id: ID!, $pos: Int) { product(id: $id, minPosition: $pos) {
  latestVerification { stage aiScore qualityGrade ocrText serialMatch
    models { name version sha256 } inputHashes } } }"""
FLAG = """mutation($a: ID!, $b: ID!) { flagBid(auctionId: $a, bidId: $b, score: "0.873",
  threshold: "0.5", reason: "shill pattern", modelName: "bid-anomaly", modelVersion: "1.0.0",
  modelSha256: "%s") { position auctionId bidId } }"""
AUCTION = """query($id: ID!, $pos: Int) { auction(id: $id, minPosition: $pos) {
  flaggedBidCount bids(first: 10) { id flagged flagScore flagReason } } }"""


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


async def registered(api: RunningApi, maker: str) -> str:
    product = {"sku": "W-1", "serialNumber": f"SN-{sha(str(datetime.now(UTC)))}", "name": "W"}
    body = await api.graphql(REGISTER, {"input": {**product, "manufacturer": "Acme"}}, maker)
    product_id: str = data(body)["registerProduct"]["productId"]
    return product_id


async def test_the_ai_findings_read_back(running_api: RunningApi) -> None:
    api = running_api
    maker = api.token("acme", Role.MANUFACTURER)
    system = api.token("ai-agent", Role.SYSTEM)
    product_id = await registered(api, maker)
    evidence = await api.upload_evidence(maker)
    requested = data(await api.graphql(REQUEST % evidence, {"p": product_id}, maker))
    verification_id = requested["requestVerification"]["verificationId"]
    models = [
        {"name": "vera-auth", "version": "1.0.0", "sha256": sha("auth")},
        {"name": "ppocr-v5", "version": "5.0", "sha256": sha("ocr")},
    ]

    recorded = data(
        await api.graphql(
            AI_V2 % sha("auth"),
            {"v": verification_id, "models": models, "inputs": [evidence]},
            system,
        )
    )["recordAiAssessment"]

    body = data(await api.graphql(PRODUCT, {"id": product_id, "pos": recorded["position"]}))
    assert body["product"]["latestVerification"] == {
        "stage": "AWAITING_INSPECTION",
        "aiScore": "0.91",
        "qualityGrade": 4,
        "ocrText": "SN-42",
        "serialMatch": True,
        "models": models,
        "inputHashes": [evidence],
    }


async def test_a_bad_finding_is_validation_failed(running_api: RunningApi) -> None:
    api = running_api
    maker = api.token("acme", Role.MANUFACTURER)
    product_id = await registered(api, maker)
    requested = data(
        await api.graphql(REQUEST % await api.upload_evidence(maker), {"p": product_id}, maker)
    )
    verification_id = requested["requestVerification"]["verificationId"]

    refused = await api.graphql(
        AI_V2 % sha("auth"),
        {"v": verification_id, "models": None, "inputs": [sha("not this verification's")]},
        api.token("ai-agent", Role.SYSTEM),
    )

    assert error_code(refused) == "VALIDATION_FAILED"


async def auction_with_a_bid(api: RunningApi) -> tuple[str, str]:
    maker = api.token("acme", Role.MANUFACTURER)
    inspector = api.token("ines", Role.INSPECTOR)
    admin = api.token("ops", Role.ADMIN)
    product_id = await registered(api, maker)
    requested = data(
        await api.graphql(REQUEST % await api.upload_evidence(maker), {"p": product_id}, maker)
    )
    verification_id = requested["requestVerification"]["verificationId"]
    data(await api.graphql(AI % ("cd" * 32), {"v": verification_id}, admin))
    data(await api.graphql(INSPECT, {"v": verification_id}, inspector))
    data(await api.graphql(CERTIFY, {"p": product_id}, inspector))
    now = datetime.now(UTC)
    terms: dict[str, Any] = {
        "productId": product_id,
        "reservePrice": "100.00",
        "minIncrement": "5.00",
        "currency": "EUR",
        "startsAt": now.isoformat(),
        "endsAt": (now + timedelta(minutes=10)).isoformat(),
    }
    auction_id: str = data(await api.graphql(OPEN, {"input": terms}, maker))["openAuction"][
        "auctionId"
    ]
    bidder = api.token("bo", Role.BIDDER)
    for amount in ("100.00", "105.00"):
        placed = data(await api.graphql(BID, {"a": auction_id, "amount": amount}, bidder))
    bid_id: str = placed["placeBid"]["bidId"]
    return auction_id, bid_id


async def test_a_flagged_bid_reads_back_and_is_flagged_once(running_api: RunningApi) -> None:
    api = running_api
    auction_id, bid_id = await auction_with_a_bid(api)
    system = api.token("bid-scorer", Role.SYSTEM)

    flagged = data(await api.graphql(FLAG % sha("anomaly"), {"a": auction_id, "b": bid_id}, system))

    assert flagged["flagBid"]["bidId"] == bid_id
    body = data(
        await api.graphql(AUCTION, {"id": auction_id, "pos": flagged["flagBid"]["position"]})
    )
    auction = body["auction"]
    assert auction["flaggedBidCount"] == 1
    by_id = {bid["id"]: bid for bid in auction["bids"]}
    assert by_id[bid_id] == {
        "id": bid_id,
        "flagged": True,
        "flagScore": "0.873",
        "flagReason": "shill pattern",
    }
    (other,) = [bid for bid in auction["bids"] if bid["id"] != bid_id]
    assert (other["flagged"], other["flagScore"], other["flagReason"]) == (False, None, None)

    again = await api.graphql(
        FLAG % sha("anomaly"), {"a": auction_id, "b": bid_id}, api.token("ops", Role.ADMIN)
    )
    assert error_code(again) == "VALIDATION_FAILED"
    unknown = await api.graphql(FLAG % sha("anomaly"), {"a": auction_id, "b": auction_id}, system)
    assert error_code(unknown) == "NOT_FOUND"
    bidder = await api.graphql(
        FLAG % sha("anomaly"), {"a": auction_id, "b": bid_id}, api.token("bo", Role.BIDDER)
    )
    assert error_code(bidder) == "FORBIDDEN"
