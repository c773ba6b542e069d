"""A certificate through the API, black-box: GraphQL gives its credential, hash, issuer and,
once the relay's audit log has signed a checkpoint over the issuance, its tlog-proof, which
verify offline; `GET /certificates/{id}.vc.json` serves the same bytes, and after a
revocation still serves them, saying so in a header."""

from __future__ import annotations

import asyncio
import hashlib
import time
import uuid
from typing import Any

from commands.actor import Role
from infra.audit_runner import checkpoint_signer
from infra.credentials.issuer import certificate_issuer
from infra.credentials.offline_check import parse_log_key, verify_certificate
from tests.integration.api.conftest import RunningApi
from tests.integration.api.test_graphql_flow import AI, CERTIFY, INSPECT, REGISTER, REQUEST, data

CERTIFICATE = """query($id: ID!, $pos: Int) { certificate(id: $id, minPosition: $pos) {
  status revocationReason credential credentialSha256 issuerDid proof } }"""
REVOKE = """mutation($c: ID!) { revokeCertificate(certificateId: $c, reason: "stolen goods") {
  position } }"""
PROOF_WAIT_S = 30.0


async def certify(api: RunningApi) -> tuple[str, int]:
    maker = api.token("acme", Role.MANUFACTURER)
    inspector = api.token("ines", Role.INSPECTOR)
    product = {"sku": "B-1", "serialNumber": f"SN-{uuid.uuid4().hex}", "name": "Bag"}
    registered = data(
        await api.graphql(REGISTER, {"input": {**product, "manufacturer": "Acme"}}, maker)
    )
    product_id = registered["registerProduct"]["productId"]
    requested = data(
        await api.graphql(REQUEST % await api.upload_evidence(maker), {"p": product_id}, maker)
    )
    verification_id = requested["requestVerification"]["verificationId"]
    admin = api.token("ops", Role.ADMIN)
    data(await api.graphql(AI % ("cd" * 32), {"v": verification_id}, admin))
    data(await api.graphql(INSPECT, {"v": verification_id}, inspector))
    issued = data(await api.graphql(CERTIFY, {"p": product_id}, inspector))["issueCertificate"]
    return issued["certificateId"], issued["position"]


async def certificate(api: RunningApi, certificate_id: str, position: int) -> dict[str, Any]:
    body = data(await api.graphql(CERTIFICATE, {"id": certificate_id, "pos": position}))
    found: dict[str, Any] = body["certificate"]
    return found


async def with_proof(api: RunningApi, certificate_id: str, position: int) -> dict[str, Any]:
    """The certificate once a checkpoint covers its issuance (the log signs each second)."""
    deadline = time.monotonic() + PROOF_WAIT_S
    while True:
        found = await certificate(api, certificate_id, position)
        if found["proof"] is not None or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.2)


async def test_the_certificate_comes_with_its_credential_and_proof(running_api: RunningApi) -> None:
    api = running_api
    certificate_id, position = await certify(api)

    found = await with_proof(api, certificate_id, position)

    assert found["status"] == "VALID"
    assert found["proof"] is not None, "no checkpoint covered the issuance in time"
    credential = found["credential"]
    assert found["credentialSha256"] == hashlib.sha256(credential.encode()).hexdigest()
    issuer = certificate_issuer(api.settings).did
    assert found["issuerDid"] == issuer
    log_key = parse_log_key(checkpoint_signer(api.settings).verifier_key)
    verified = verify_certificate(credential, found["proof"], log_key, issuer)
    assert str(verified.certificate_id) == certificate_id

    served = await api.client.get(f"{api.url}/certificates/{certificate_id}.vc.json")
    assert served.status_code == 200
    assert served.headers["content-type"] == "application/vc"
    assert served.headers["x-certificate-status"] == "valid"
    assert served.headers["etag"] == f'"{found["credentialSha256"]}"'
    assert served.text == credential
    as_json = await api.client.get(
        f"{api.url}/certificates/{certificate_id}.vc.json", headers={"Accept": "application/json"}
    )
    assert as_json.headers["content-type"] == "application/json"
    assert as_json.text == credential


async def test_a_revoked_certificate_says_so_and_keeps_its_credential(
    running_api: RunningApi,
) -> None:
    api = running_api
    certificate_id, _ = await certify(api)
    inspector = api.token("ines", Role.INSPECTOR)
    revoked = data(await api.graphql(REVOKE, {"c": certificate_id}, inspector))

    found = await certificate(api, certificate_id, revoked["revokeCertificate"]["position"])

    assert found["status"] == "REVOKED"
    assert found["revocationReason"] == "stolen goods"
    assert found["credential"] is not None
    served = await api.client.get(f"{api.url}/certificates/{certificate_id}.vc.json")
    assert served.status_code == 200
    assert served.headers["x-certificate-status"] == "revoked"
    assert served.text == found["credential"]


async def test_unknown_certificates_are_not_found(bare_api: RunningApi) -> None:
    api = bare_api
    for unknown in (str(uuid.uuid4()), "not-a-uuid"):
        response = await api.client.get(f"{api.url}/certificates/{unknown}.vc.json")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "NOT_FOUND"
    assert data(await api.graphql(CERTIFICATE, {"id": str(uuid.uuid4())}))["certificate"] is None
