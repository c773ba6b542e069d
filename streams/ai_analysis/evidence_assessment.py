"""One assessment of a verification's evidence: OCR, authenticity and quality of every image,
aggregated into the figures RecordAIAssessment records. Deterministic for the same image
bytes, serial and model files, which is what `verachain models rescore` relies on."""

from __future__ import annotations

import functools
import hashlib
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from domain.verification import MAX_OCR_TEXT, ModelRef
from infra.models.scoring import ImageScorer
from infra.ocr import ppocr_engine, read_label, serial_match

# PP-OCR's Chinese recognition model reads Latin script too: one pass reads both, so every
# label is read for English and Chinese (Korean, on tesseract, is not attempted here).
OCR_LANGUAGES = ("en", "zh")
OCR_MODEL_NAME = "label_ocr"
SCORE_PLACES = Decimal("0.000001")


@dataclass(frozen=True)
class EvidenceAssessment:
    """What is recorded: the scores, the OCR findings, the models and the inputs."""

    authenticity_score: Decimal  # mean P(authentic) over the images, 6 places
    quality_grade: int  # 1 (mint) .. 5 (worn): the worst image's grade
    ocr_text: str
    serial_match: bool | None  # None: the registered serial has no letters or digits
    models: tuple[ModelRef, ...]  # authenticity first, then quality, then the OCR engine
    input_hashes: tuple[str, ...]


def assess_evidence(
    images: Sequence[tuple[str, bytes]], registered_serial: str, scorer: ImageScorer
) -> EvidenceAssessment:
    """Score `images` ((sha256, bytes), in the verification's order) against the serial.

    Aggregation: authenticity is the mean over the images (photos of one item from several
    sides; a single blurred shot should lower the score, not decide it, and the inspector
    sees every photo anyway); quality is the worst image's grade (an item's condition is
    that of its most worn side)."""
    if not images:
        raise ValueError("an assessment needs at least one image")
    assessments = [scorer.assess(data) for _, data in images]
    texts = [read_label(data, OCR_LANGUAGES).text for _, data in images]
    text = "\n".join(t for t in texts if t)
    try:
        match: bool | None = serial_match(text, registered_serial).found
    except ValueError:  # a registered serial without letters or digits cannot be compared
        match = None
    mean = statistics.fmean(a.p_authentic for a in assessments)
    authenticity, quality = assessments[0].models
    return EvidenceAssessment(
        authenticity_score=Decimal(repr(mean)).quantize(SCORE_PLACES),
        # The quality model's classes are 0 (mint) .. 4 (worn); the domain's grades 1 .. 5.
        quality_grade=max(a.quality_grade for a in assessments) + 1,
        ocr_text=text[:MAX_OCR_TEXT],
        serial_match=match,
        models=(
            _ref(authenticity.name, authenticity.version, authenticity.sha256),
            _ref(quality.name, quality.version, quality.sha256),
            ocr_model_ref(),
        ),
        input_hashes=tuple(digest for digest, _ in images),
    )


def ocr_model_ref() -> ModelRef:
    """The OCR engine as a model: its package version and the models it runs, pinned by one
    SHA-256 over its ONNX files (name and bytes, in name order)."""
    return _ref(OCR_MODEL_NAME, ppocr_engine.version(), _ocr_models_sha256())


@functools.cache  # ~15 MB to hash: once per process
def _ocr_models_sha256() -> str:
    from importlib.util import find_spec

    spec = find_spec(ppocr_engine.ENGINE.replace("-", "_"))
    if spec is None or spec.origin is None:
        raise RuntimeError(f"{ppocr_engine.ENGINE} is not installed")
    digest = hashlib.sha256()
    for path in sorted((Path(spec.origin).parent / "models").glob("*.onnx")):
        digest.update(path.name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _ref(name: str, version: str, sha256: str) -> ModelRef:
    return {"name": name, "version": version, "sha256": sha256}
