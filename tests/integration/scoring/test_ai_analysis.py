"""The ai-analysis kind through `verachain worker`: a verification requested with uploaded
label photos is assessed and recorded (scores, OCR text, serial match, models, inputs);
`verachain models rescore` reproduces it; missing evidence ends in dead letters."""

from __future__ import annotations

import asyncio
import hashlib
import json
import subprocess
import sys
import uuid
from decimal import Decimal
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from commands.actor import Actor, Role
from commands.bus import CommandBus
from commands.messages import RegisterProduct, RequestVerification
from commands.store import EventStore
from domain.envelope import upcast_envelope
from infra.evidence_store import EvidenceStore, ensure_evidence_schema
from infra.settings import Settings
from streams.ai_analysis.evidence_assessment import (
    KOREAN_OCR_MODEL_NAME,
    OCR_MODEL_NAME,
    korean_ocr_enabled,
)
from streams.history_reader import read_aggregate_history
from streams.jobs.job import decode_job
from streams.jobs.job_topics import AI_ANALYSIS, dead_topic
from tests.integration.jobs.conftest import REPO_ROOT, eventually
from tests.integration.scoring.label_images import label_photo
from tests.support.database import TestDatabase
from tests.support.kafka import KafkaTarget, read_all


async def upload(url: str, images: list[bytes]) -> list[str]:
    pool: AsyncConnectionPool[AsyncConnection[Any]] = AsyncConnectionPool(
        url, min_size=1, max_size=1, open=False
    )
    await pool.open(wait=True)
    try:
        await ensure_evidence_schema(pool)
        store = EvidenceStore(pool)
        hashes = []
        for data in images:
            digest = hashlib.sha256(data).hexdigest()
            await store.put(
                sha256=digest,
                media_type="image/jpeg",
                data=data,
                width=512,
                height=512,
                uploaded_by="maker",
            )
            hashes.append(digest)
        return hashes
    finally:
        await pool.close()


async def requested(bus: CommandBus, serial: str, hashes: list[str]) -> UUID:
    maker = Actor.of(f"maker-{uuid.uuid4().hex[:6]}", Role.MANUFACTURER)
    product = await bus.dispatch(
        RegisterProduct(sku="W-1", serial_number=serial, name="Chronograph", manufacturer="x"),
        maker,
    )
    request = RequestVerification(
        product_id=UUID(product.ids["productId"]), image_hashes=tuple(hashes)
    )
    return UUID((await bus.dispatch(request, maker)).ids["verificationId"])


def assessments(store: EventStore, verification_id: UUID) -> list[dict[str, Any]]:
    history = read_aggregate_history(store, verification_id, 0, 1_000)
    return [upcast_envelope(dict(e)) for e in history if e["type"] == "AIAssessmentRecorded"]


async def test_a_requested_verification_is_assessed_and_rescored(
    running_worker: dict[str, str],
    test_database: TestDatabase,
    kafka: KafkaTarget,
    bus: CommandBus,
    store: EventStore,
) -> None:
    serial = f"KM{uuid.uuid4().int % 90 + 10}-7781-XT"
    hashes = await upload(test_database.url, [label_photo(serial, seed) for seed in (0, 2)])
    verification_id = await requested(bus, serial, hashes)
    unseen = "ab" * 32  # never uploaded
    missing = await requested(bus, f"NO-{uuid.uuid4().hex[:8]}", [unseen])

    async def recorded() -> list[dict[str, Any]] | None:
        return await asyncio.to_thread(assessments, store, verification_id) or None

    (envelope,) = await eventually(recorded, "the AI assessment", timeout_s=25)
    data = envelope["data"]
    assert envelope["metadata"]["actor"] == "ai-assessor"
    assert 0 <= Decimal(data["authenticity_score"]) <= 1
    assert data["quality_grade"] in range(1, 6)
    assert serial in data["ocr_text"]
    assert data["serial_match"] is True
    assert data["input_hashes"] == hashes
    names = [m["name"] for m in data["models"]]
    # VERACHAIN_OCR_KOREAN=auto: read for Korean too where tesseract-ocr-kor is installed
    # (`make test` installs it), which the recorded models say.
    korean = [KOREAN_OCR_MODEL_NAME] if korean_ocr_enabled("auto") else []
    assert names == ["authenticity", "quality_grade", OCR_MODEL_NAME, *korean]
    assert all(len(m["sha256"]) == 64 and m["version"] for m in data["models"])
    assert data["model_name"] == "authenticity"

    rescore = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "infra.cli",
        "models",
        "rescore",
        str(verification_id),
        env=running_worker,
        cwd=REPO_ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    # Generous: a cold process loads the models and reads every label again (Korean too).
    out, err = await asyncio.wait_for(rescore.communicate(), 90)
    assert rescore.returncode == 0, (out + err).decode()
    assert b"SAME" in out

    # Missing evidence: retried, then a dead letter that names the image.
    (letter,) = await read_all(kafka.bootstrap, [dead_topic(AI_ANALYSIS)], expect_at_least=1)
    dead = decode_job(json.dumps(letter.envelope).encode())
    assert dead.payload["verification_id"] == str(missing)
    assert dead.attempt == 3
    assert dead.last_error is not None
    assert dead.last_error.startswith("EvidenceMissing")
    assert unseen in dead.last_error
    assert await asyncio.to_thread(assessments, store, missing) == []
    assert len(await asyncio.to_thread(assessments, store, verification_id)) == 1


def test_rescore_of_an_unassessed_verification_exits_2(test_database: TestDatabase) -> None:
    settings = Settings.from_env({"VERACHAIN_DATABASE_URL": test_database.url})
    result = subprocess.run(
        [sys.executable, "-m", "infra.cli", "models", "rescore", str(uuid.uuid4())],
        env={**settings.to_env(), "PYTHONPATH": REPO_ROOT, "PATH": "/usr/bin:/bin"},
        cwd=REPO_ROOT,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert b"no verification" in result.stderr
