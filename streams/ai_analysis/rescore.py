"""Reproduce a recorded AI assessment: the same evidence (by hash), the same models (by
name, refused unless the installed version and SHA-256 are the recorded ones), the same
computation; then compare, field by field."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from commands.store import EventStore
from domain.envelope import upcast_envelope
from infra.evidence_store import EvidenceStore
from infra.models.registry import MODELS_DIR, load_model
from infra.models.scoring import ImageScorer
from infra.ocr import OcrUnavailable
from streams.ai_analysis.evidence_assessment import (
    KOREAN_OCR_MODEL_NAME,
    OCR_MODEL_NAME,
    assess_evidence,
    korean_ocr_model_ref,
    ocr_model_ref,
)
from streams.history_reader import read_aggregate_history

IMAGE_MODELS = ("authenticity", "quality_grade")
COMPARED = ("authenticity_score", "quality_grade", "ocr_text", "serial_match")


class RescoreRefused(Exception):
    """The assessment cannot be reproduced as asked (nothing recorded, a model or an image
    that is not the recorded one)."""


@dataclass(frozen=True)
class Rescore:
    verification_id: UUID
    recorded: dict[str, Any]
    recomputed: dict[str, Any]

    @property
    def differing(self) -> list[str]:
        return [name for name in COMPARED if self.recorded[name] != self.recomputed[name]]


async def rescore(
    store: EventStore,
    pool: AsyncConnectionPool[AsyncConnection[Any]],
    verification_id: UUID,
    models_dir: Path = MODELS_DIR,
) -> Rescore:
    history = [
        upcast_envelope(dict(e))
        for e in await asyncio.to_thread(
            read_aggregate_history, store, verification_id, 0, 2**31 - 1
        )
    ]
    if not history:
        raise RescoreRefused(f"no verification {verification_id} in the event store")
    assessed = [e["data"] for e in history if e["type"] == "AIAssessmentRecorded"]
    if not assessed:
        raise RescoreRefused(f"verification {verification_id} has no AI assessment recorded")
    recorded = assessed[-1]
    scorer = await asyncio.to_thread(_recorded_scorer, recorded["models"], models_dir)
    product = await asyncio.to_thread(store.load, UUID(str(history[0]["data"]["product_id"])))
    serial = str(getattr(product, "serial_number", ""))
    evidence = EvidenceStore(pool)
    images: list[tuple[str, bytes]] = []
    for digest in recorded["input_hashes"]:
        stored = await evidence.content(str(digest))
        if stored is None:
            raise RescoreRefused(f"evidence image {digest} is not stored")
        images.append((str(digest), stored[1]))
    if not images:
        raise RescoreRefused("the assessment lists no input hashes: nothing to rescore")
    # Read for Korean exactly when the recorded assessment was (checked in _recorded_scorer).
    korean = any(m["name"] == KOREAN_OCR_MODEL_NAME for m in recorded["models"])
    again = await asyncio.to_thread(assess_evidence, images, serial, scorer, korean=korean)
    return Rescore(
        verification_id,
        recorded={
            "authenticity_score": Decimal(str(recorded["authenticity_score"])),
            "quality_grade": recorded["quality_grade"],
            "ocr_text": recorded["ocr_text"],
            "serial_match": recorded["serial_match"],
        },
        recomputed={
            "authenticity_score": again.authenticity_score,
            "quality_grade": again.quality_grade,
            "ocr_text": again.ocr_text,
            "serial_match": again.serial_match,
        },
    )


def _recorded_scorer(models: list[dict[str, Any]], models_dir: Path) -> ImageScorer:
    """The image models by the recorded names, each checked against the recorded version
    and SHA-256; the OCR engine checked likewise."""
    by_name = {str(m["name"]): m for m in models}
    for name in (*IMAGE_MODELS, OCR_MODEL_NAME):
        if name not in by_name:
            raise RescoreRefused(f"the assessment did not record the model {name!r}")
    _same(OCR_MODEL_NAME, by_name[OCR_MODEL_NAME], dict(ocr_model_ref()))
    if KOREAN_OCR_MODEL_NAME in by_name:
        try:
            installed = dict(korean_ocr_model_ref())
        except OcrUnavailable as e:
            raise RescoreRefused(
                f"the assessment read its labels for Korean, which cannot be read here: {e}"
            ) from e
        _same(KOREAN_OCR_MODEL_NAME, by_name[KOREAN_OCR_MODEL_NAME], installed)
    loaded = []
    for name in IMAGE_MODELS:
        model = load_model(name, models_dir)
        _same(name, by_name[name], {"version": model.version, "sha256": model.sha256})
        loaded.append(model)
    return ImageScorer(loaded[0], loaded[1])


def _same(name: str, recorded: dict[str, Any], installed: dict[str, Any]) -> None:
    for field in ("version", "sha256"):
        if str(recorded[field]) != str(installed[field]):
            raise RescoreRefused(
                f"model {name!r}: recorded {field} {recorded[field]} but the installed one "
                f"is {installed[field]}; install the recorded model to rescore"
            )
