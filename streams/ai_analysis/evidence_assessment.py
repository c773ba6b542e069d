"""One assessment of a verification's evidence: OCR, authenticity and quality of every image,
aggregated into the figures RecordAIAssessment records. Deterministic for the same image
bytes, serial and model files, which is what `verachain models rescore` relies on."""

from __future__ import annotations

import functools
import hashlib
import logging
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from domain.verification import MAX_OCR_TEXT, ModelRef
from infra.models.scoring import ImageScorer
from infra.ocr import OcrUnavailable, ppocr_engine, read_label, serial_match, tesseract_engine

log = logging.getLogger(__name__)

# PP-OCR's Chinese recognition model reads Latin script too: one pass reads both, so every
# label is read for English and Chinese. Korean (tesseract, eng+kor) is a second pass, run
# when the reactor has it (VERACHAIN_OCR_KOREAN); the recorded models say whether it ran.
OCR_LANGUAGES = ("en", "zh")
KOREAN = ("ko",)
OCR_MODEL_NAME = "label_ocr"
KOREAN_OCR_MODEL_NAME = "label_ocr_kor"
SCORE_PLACES = Decimal("0.000001")


@dataclass(frozen=True)
class EvidenceAssessment:
    """What is recorded: the scores, the OCR findings, the models and the inputs."""

    authenticity_score: Decimal  # mean P(authentic) over the images, 6 places
    quality_grade: int  # 1 (mint) .. 5 (worn): the worst image's grade
    ocr_text: str
    serial_match: bool | None  # None: the registered serial has no letters or digits
    # authenticity first, then quality, then the OCR engine(s): PP-OCR, and tesseract when
    # the labels were also read for Korean
    models: tuple[ModelRef, ...]
    input_hashes: tuple[str, ...]


def assess_evidence(
    images: Sequence[tuple[str, bytes]],
    registered_serial: str,
    scorer: ImageScorer,
    *,
    korean: bool = False,
) -> EvidenceAssessment:
    """Score `images` ((sha256, bytes), in the verification's order) against the serial;
    with `korean`, every label is also read by tesseract (OcrUnavailable if it cannot).

    Aggregation: authenticity is the mean over the images (photos of one item from several
    sides; a single blurred shot should lower the score, not decide it, and the inspector
    sees every photo anyway); quality is the worst image's grade (an item's condition is
    that of its most worn side)."""
    if not images:
        raise ValueError("an assessment needs at least one image")
    assessments = [scorer.assess(data) for _, data in images]
    languages = (OCR_LANGUAGES, KOREAN) if korean else (OCR_LANGUAGES,)
    texts = [read_label(data, wanted).text for _, data in images for wanted in languages]
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
            *((korean_ocr_model_ref(),) if korean else ()),
        ),
        input_hashes=tuple(digest for digest, _ in images),
    )


def ocr_model_ref() -> ModelRef:
    """The OCR engine as a model: its package version and the models it runs, pinned by one
    SHA-256 over its ONNX files (name and bytes, in name order)."""
    return _ref(OCR_MODEL_NAME, ppocr_engine.version(), _ocr_models_sha256())


def korean_ocr_enabled(mode: str) -> bool:
    """Whether a reactor reads labels for Korean (VERACHAIN_OCR_KOREAN): "off" never; "auto"
    when tesseract with Korean data is installed, saying loudly when it is not; "on" raises
    OcrUnavailable when it is not (the reactor then does not start)."""
    if mode == "off":
        return False
    try:
        korean_ocr_model_ref()
    except OcrUnavailable as e:
        if mode == "on":
            raise
        log.warning(
            "Korean label OCR is unavailable (%s): assessments read English and Chinese "
            "only, and their recorded models show it (no %s)",
            e.reason,
            KOREAN_OCR_MODEL_NAME,
        )
        return False
    return True


def korean_ocr_model_ref() -> ModelRef:
    """Tesseract as a model: its version and the traineddata it reads (OcrUnavailable when
    it is not installed with Korean data)."""
    return _ref(KOREAN_OCR_MODEL_NAME, *tesseract_engine.engine_identity())


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
