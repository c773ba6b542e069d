"""The auditor's GraphQL operations and GET /audit/checkpoint, black-box against the API with
the relay (and its audit log) running: the public checkpoint, proofs that verify against
it, an aggregate's history with leaf indexes, its state as of a version and a time, and
who may ask."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from datetime import UTC, datetime
from typing import Any

from commands.actor import Role
from projections.jcs import canonical_json
from projections.merkle import leaf_hash
from projections.merkle_verify import verify_consistency, verify_inclusion
from tests.integration.api.conftest import RunningApi
from tests.integration.api.test_graphql_flow import REGISTER, data, error_code

CHECKPOINT = "{ auditCheckpoint { origin treeSize rootHash note signedAt } }"
INCLUSION = """query($i: Int!, $n: Int) { inclusionProof(leafIndex: $i, treeSize: $n) {
  leafIndex treeSize hashes } }"""
CONSISTENCY = """query($m: Int!, $n: Int) { consistencyProof(fromSize: $m, toSize: $n) {
  fromSize toSize hashes } }"""
HISTORY = """query($a: ID!, $at: DateTime, $v: Int) {
  eventHistory(aggregateId: $a, asOf: $at, upToVersion: $v) { leafIndex position envelope } }"""
STATE = """query($a: ID!, $at: DateTime, $v: Int) {
  stateAsOf(aggregateId: $a, asOf: $at, upToVersion: $v) {
    aggregateId aggregateType version asOf state } }"""
REQUEST_VERIFICATION = """mutation($p: ID!) { requestVerification(productId: $p,
  evidence: {imageHashes: ["%s"]}) { position } }"""


async def _checkpoint_covering(api: RunningApi, position: int) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while True:
        body = await api.graphql(CHECKPOINT)
        if not body.get("errors"):
            checkpoint: dict[str, Any] = body["data"]["auditCheckpoint"]
            if checkpoint["treeSize"] >= position:  # a fresh store: positions are dense
                return checkpoint
        else:
            assert error_code(body) == "NOT_FOUND"
        assert time.monotonic() < deadline, "no checkpoint covers the position"
        await asyncio.sleep(0.2)


def _b64(values: list[str]) -> list[bytes]:
    return [base64.b64decode(v) for v in values]


async def test_an_auditor_proves_a_product_history_against_the_public_checkpoint(
    running_api: RunningApi,
) -> None:
    api = running_api
    maker = api.token("acme", Role.MANUFACTURER)
    auditor = api.token("audrey", Role.AUDITOR)
    registered = data(
        await api.graphql(
            REGISTER,
            {"input": {"sku": "A-1", "serialNumber": "S-1", "name": "Bag", "manufacturer": "Acme"}},
            maker,
        )
    )["registerProduct"]
    product_id = registered["productId"]
    first = await _checkpoint_covering(api, registered["position"])
    requested = data(
        await api.graphql(
            REQUEST_VERIFICATION % await api.upload_evidence(maker), {"p": product_id}, maker
        )
    )
    later = await _checkpoint_covering(api, requested["requestVerification"]["position"])

    # The public checkpoint is the note GET /audit/checkpoint serves, or an older one.
    served = await api.client.get(f"{api.url}/audit/checkpoint")
    assert served.status_code == 200
    assert served.headers["content-type"].startswith("text/plain")
    assert served.text.startswith("verachain/audit/v1\n")
    assert int(served.text.split("\n")[1]) >= later["treeSize"]

    history = data(await api.graphql(HISTORY, {"a": product_id}, auditor))["eventHistory"]
    assert [json.loads(e["envelope"])["aggregate_version"] for e in history] == [1, 2]
    root = base64.b64decode(later["rootHash"])
    for event in history:
        envelope = json.loads(event["envelope"])
        assert event["position"] == envelope["position"]
        proof = data(
            await api.graphql(INCLUSION, {"i": event["leafIndex"], "n": later["treeSize"]}, auditor)
        )["inclusionProof"]
        leaf = leaf_hash(canonical_json(envelope))
        assert verify_inclusion(
            leaf, event["leafIndex"], later["treeSize"], _b64(proof["hashes"]), root
        )

    if first["treeSize"] < later["treeSize"]:
        consistency = data(
            await api.graphql(
                CONSISTENCY, {"m": first["treeSize"], "n": later["treeSize"]}, auditor
            )
        )["consistencyProof"]
        assert verify_consistency(
            first["treeSize"],
            later["treeSize"],
            _b64(consistency["hashes"]),
            base64.b64decode(first["rootHash"]),
            root,
        )

    as_registered = data(await api.graphql(STATE, {"a": product_id, "v": 1}, auditor))["stateAsOf"]
    assert (as_registered["aggregateType"], as_registered["version"]) == ("Product", 1)
    assert json.loads(as_registered["state"])["verification_status"] == "UNVERIFIED"
    now = data(
        await api.graphql(STATE, {"a": product_id, "at": datetime.now(UTC).isoformat()}, auditor)
    )["stateAsOf"]
    assert now["version"] == 2
    assert json.loads(now["state"])["verification_status"] == "PENDING"
    before = await api.graphql(STATE, {"a": product_id, "at": "2000-01-01T00:00:00+00:00"}, auditor)
    assert error_code(before) == "NOT_FOUND"


async def test_only_auditors_and_admins_read_proofs_and_history(running_api: RunningApi) -> None:
    api = running_api
    maker = api.token("acme", Role.MANUFACTURER)
    registered = data(
        await api.graphql(
            REGISTER,
            {"input": {"sku": "A-2", "serialNumber": "S-2", "name": "Bag", "manufacturer": "Acme"}},
            maker,
        )
    )["registerProduct"]
    checkpoint = await _checkpoint_covering(api, registered["position"])
    variables = {"a": registered["productId"]}

    assert error_code(await api.graphql(HISTORY, variables)) == "UNAUTHENTICATED"
    assert error_code(await api.graphql(HISTORY, variables, maker)) == "FORBIDDEN"
    assert error_code(await api.graphql(INCLUSION, {"i": 0}, maker)) == "FORBIDDEN"
    assert error_code(await api.graphql(STATE, variables, maker)) == "FORBIDDEN"
    admin = api.token("ops", Role.ADMIN)
    assert data(await api.graphql(HISTORY, variables, admin))["eventHistory"]
    # Bad requests are refused with a clear code, not an internal error.
    size = checkpoint["treeSize"]
    assert error_code(await api.graphql(INCLUSION, {"i": size, "n": size}, admin)) == (
        "VALIDATION_FAILED"
    )
    assert error_code(await api.graphql(INCLUSION, {"i": 0, "n": size + 10**6}, admin)) == (
        "VALIDATION_FAILED"
    )
    assert error_code(await api.graphql(CONSISTENCY, {"m": size + 1, "n": size}, admin)) == (
        "VALIDATION_FAILED"
    )
    assert error_code(await api.graphql(HISTORY, {"a": "not-a-uuid"}, admin)) == (
        "VALIDATION_FAILED"
    )
    unknown = "00000000-0000-4000-8000-000000000000"
    assert error_code(await api.graphql(HISTORY, {"a": unknown}, admin)) == "NOT_FOUND"
