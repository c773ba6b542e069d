"""POST /evidence and GET /evidence/{sha256} black-box on the API under uvicorn (real
PostgreSQL), and requestVerification refusing evidence that was never uploaded."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from commands.actor import Role
from tests.integration.api.conftest import RunningApi, api_settings, serving
from tests.support.database import TestDatabase
from tests.support.evidence_images import encoded, png_declaring
from tests.support.kafka import KafkaTarget

REGISTER = """mutation($input: RegisterProductInput!) {
  registerProduct(input: $input) { productId } }"""
REQUEST = """mutation($p: ID!, $e: EvidenceInput!) {
  requestVerification(productId: $p, evidence: $e) { verificationId } }"""
JPEG_SIGNATURE = b"\xff\xd8\xff\xe0"


async def post_file(
    api: RunningApi,
    data: bytes,
    *,
    token: str | None,
    name: str = "photo.jpg",
    content_type: str = "image/jpeg",
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await api.client.post(
        f"{api.url}/evidence", files={"file": (name, data, content_type)}, headers=headers
    )


def stored_hashes(api: RunningApi) -> set[str]:
    assert api.settings.database_url is not None
    with psycopg.connect(api.settings.database_url) as conn:
        return {row[0] for row in conn.execute("SELECT sha256 FROM verachain_evidence")}


def assert_refused(response: httpx.Response, status: int, reason: str) -> None:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == "VALIDATION_FAILED"
    assert error["reason"] == reason
    assert error["message"]


@pytest.mark.parametrize(
    ("image_format", "media_type"),
    [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp")],
)
async def test_an_image_is_stored_by_its_hash_once_and_served_back(
    bare_api: RunningApi, image_format: str, media_type: str
) -> None:
    maker = bare_api.token("acme", Role.MANUFACTURER)
    image = encoded(image_format, size=(80, 60), seed=7)
    digest = hashlib.sha256(image).hexdigest()
    # The client's labels are ignored: the bytes say what the file is.
    first = await post_file(bare_api, image, token=maker, name="x.bin", content_type="text/plain")
    assert first.status_code == 201, first.text
    expected = {
        "sha256": digest,
        "mediaType": media_type,
        "width": 80,
        "height": 60,
        "size": len(image),
    }
    assert first.json() == expected
    again = await post_file(bare_api, image, token=bare_api.token("ines", Role.INSPECTOR))
    assert again.status_code == 200
    assert again.json() == expected

    served = await bare_api.client.get(
        f"{bare_api.url}/evidence/{digest}", headers={"Authorization": f"Bearer {maker}"}
    )
    assert served.status_code == 200
    assert served.content == image
    assert served.headers["content-type"] == media_type
    assert served.headers["etag"] == f'"{digest}"'


async def test_refused_uploads_say_why_and_store_nothing(bare_api: RunningApi) -> None:
    admin = bare_api.token("ops", Role.ADMIN)
    limit = bare_api.settings.evidence_max_bytes
    assert_refused(
        await post_file(bare_api, encoded("GIF"), token=admin), 415, "UNSUPPORTED_MEDIA_TYPE"
    )
    assert_refused(
        await post_file(bare_api, b"just some text, named .jpg\n", token=admin),
        415,
        "UNSUPPORTED_MEDIA_TYPE",
    )
    # A bomb's header: 30000 x 30000 = 900 megapixels in 60-odd bytes, refused unread.
    assert_refused(
        await post_file(bare_api, png_declaring(30_000, 30_000), token=admin),
        422,
        "TOO_MANY_PIXELS",
    )
    over_ours = png_declaring(7_000, 7_000)  # under Pillow's own guard, over our 40 MP
    assert_refused(await post_file(bare_api, over_ours, token=admin), 422, "TOO_MANY_PIXELS")
    corrupt = JPEG_SIGNATURE + bytes(range(256)) * 8
    assert_refused(await post_file(bare_api, corrupt, token=admin), 422, "CORRUPT_IMAGE")
    jpeg = encoded("JPEG", size=(320, 240), seed=3)
    truncated = jpeg[: len(jpeg) // 2]
    assert_refused(await post_file(bare_api, truncated, token=admin), 422, "CORRUPT_IMAGE")
    too_big = JPEG_SIGNATURE + b"\0" * limit
    assert_refused(await post_file(bare_api, too_big, token=admin), 413, "TOO_LARGE")
    assert stored_hashes(bare_api) == set()


async def test_the_body_limit_of_evidence_is_its_own(bare_api: RunningApi) -> None:
    """An image over GraphQL's 1 MB body limit is accepted here, while GraphQL keeps it."""
    admin = bare_api.token("ops", Role.ADMIN)
    big = encoded("PNG", size=(1000, 1000)) + b"\0" * 1_200_000  # trailing bytes PNG ignores
    assert len(big) > 1_000_000
    uploaded = await post_file(bare_api, big, token=admin)
    assert uploaded.status_code == 201, uploaded.text
    assert uploaded.json()["size"] == len(big)
    graphql = await bare_api.client.post(
        f"{bare_api.url}/graphql",
        content=b'{"query": "' + b" " * 1_000_001 + b'{ __typename }"}',
        headers={"Content-Type": "application/json"},
    )
    assert graphql.status_code == 413


async def test_a_malformed_or_misnamed_body_is_a_bad_request(bare_api: RunningApi) -> None:
    admin = {"Authorization": f"Bearer {bare_api.token('ops', Role.ADMIN)}"}
    url = f"{bare_api.url}/evidence"
    not_multipart = await bare_api.client.post(url, content=b"\xff\xd8\xff", headers=admin)
    assert_refused(not_multipart, 400, "MALFORMED_MULTIPART")
    broken = await bare_api.client.post(
        url,
        content=b"--xyz\r\nContent-Disposition: form-data\r\n\r\nno name\r\n--xyz--\r\n",
        headers={**admin, "Content-Type": "multipart/form-data; boundary=xyz"},
    )
    assert_refused(broken, 400, "MALFORMED_MULTIPART")
    wrong_field = await bare_api.client.post(
        url, files={"image": ("a.png", encoded("PNG"), "image/png")}, headers=admin
    )
    assert_refused(wrong_field, 400, "MALFORMED_MULTIPART")
    two_files = await bare_api.client.post(
        url,
        files=[("file", ("a.png", encoded("PNG"), "image/png"))] * 2,
        headers=admin,
    )
    assert_refused(two_files, 400, "MALFORMED_MULTIPART")
    assert stored_hashes(bare_api) == set()


async def test_only_authenticated_callers_upload_and_read(bare_api: RunningApi) -> None:
    image = encoded("PNG", seed=11)
    anonymous = await post_file(bare_api, image, token=None)
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "UNAUTHENTICATED"
    forged = await post_file(bare_api, image, token="not-a-token")
    assert forged.status_code == 401
    reader = await post_file(bare_api, image, token=bare_api.token("au", Role.AUDITOR))
    assert reader.status_code == 403
    assert reader.json()["error"]["code"] == "FORBIDDEN"
    assert stored_hashes(bare_api) == set()

    digest = await bare_api.upload_evidence(bare_api.token("acme", Role.MANUFACTURER), image)
    url = f"{bare_api.url}/evidence/{digest}"
    assert (await bare_api.client.get(url)).status_code == 401
    auditor = {"Authorization": f"Bearer {bare_api.token('au', Role.AUDITOR)}"}
    assert (await bare_api.client.get(url, headers=auditor)).status_code == 200
    unknown = await bare_api.client.get(f"{bare_api.url}/evidence/{'0' * 64}", headers=auditor)
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "NOT_FOUND"
    malformed = await bare_api.client.get(f"{bare_api.url}/evidence/nothex", headers=auditor)
    assert malformed.status_code == 404
    # An owner who bought at auction (a bidder) attaches evidence to their own request.
    owner = await post_file(
        bare_api, encoded("PNG", seed=12), token=bare_api.token("bo", Role.BIDDER)
    )
    assert owner.status_code == 201


async def test_request_verification_needs_uploaded_evidence(bare_api: RunningApi) -> None:
    maker = bare_api.token("acme", Role.MANUFACTURER)
    product = {"sku": "W-1", "serialNumber": "SN-77", "name": "Watch", "manufacturer": "Acme"}
    registered = await bare_api.graphql(REGISTER, {"input": product}, maker)
    product_id = registered["data"]["registerProduct"]["productId"]
    uploaded = await bare_api.upload_evidence(maker)
    unknown = hashlib.sha256(b"never uploaded").hexdigest()

    refused = await bare_api.graphql(
        REQUEST, {"p": product_id, "e": {"imageHashes": [uploaded, unknown]}}, maker
    )
    assert refused["errors"][0]["extensions"]["code"] == "VALIDATION_FAILED"
    assert unknown in refused["errors"][0]["message"]
    assert uploaded not in refused["errors"][0]["message"]

    malformed = await bare_api.graphql(
        REQUEST, {"p": product_id, "e": {"imageHashes": ["ABC"]}}, maker
    )
    assert malformed["errors"][0]["extensions"]["code"] == "VALIDATION_FAILED"
    assert "SHA-256" in malformed["errors"][0]["message"]

    accepted = await bare_api.graphql(
        REQUEST, {"p": product_id, "e": {"imageHashes": [uploaded]}}, maker
    )
    assert not accepted.get("errors"), accepted
    assert accepted["data"]["requestVerification"]["verificationId"]


async def test_uploads_spend_the_callers_mutation_budget(
    api_database: TestDatabase,
    redis_url: str,
    kafka: KafkaTarget,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("VERACHAIN_RATE_MUTATIONS_PER_MIN", "60")  # a burst of 10
    async with serving(api_settings(api_database, redis_url, kafka, tmp_path), 0.3) as api:
        token = api.token("acme", Role.MANUFACTURER)
        image = encoded("PNG", seed=13)
        answers = [await post_file(api, image, token=token) for _ in range(25)]
    statuses = [a.status_code for a in answers]
    assert statuses[0] == 201
    assert 429 in statuses, statuses
    refused = answers[statuses.index(429)]
    assert refused.json()["error"]["code"] == "RATE_LIMITED"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
