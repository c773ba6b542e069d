"""Korean in AI assessments: read when tesseract with Korean data is there (and recorded as a
model), said loudly and recorded by its absence when not, refused when required."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest

from infra.bench.ocr_labels import korean_label
from infra.models.registry import MODELS_DIR
from infra.models.scoring import ImageScorer
from infra.ocr import OcrUnavailable, tesseract_engine
from streams.ai_analysis import rescore
from streams.ai_analysis.evidence_assessment import (
    KOREAN_OCR_MODEL_NAME,
    OCR_MODEL_NAME,
    assess_evidence,
    korean_ocr_enabled,
    korean_ocr_model_ref,
)
from tests.integration.ocr.test_korean_ocr import needs_korean_tesseract


def _jpeg(serial: str, font: Path) -> bytes:
    out = io.BytesIO()
    korean_label(serial, font, angle=1.0, seed=3).image.convert("RGB").save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def without_tesseract(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A machine where no tesseract is on the PATH."""
    monkeypatch.setenv("PATH", str(tmp_path))
    tesseract_engine._installed_languages.cache_clear()


@needs_korean_tesseract
def test_a_korean_label_is_read_for_korean_and_the_engine_recorded(cjk_font: Path) -> None:
    image = _jpeg("KR778120", cjk_font)
    scorer = ImageScorer.load()

    with_korean = assess_evidence([("a" * 64, image)], "KR778120", scorer, korean=True)
    without = assess_evidence([("a" * 64, image)], "KR778120", scorer)

    assert "번호" in with_korean.ocr_text.replace(" ", "")
    assert with_korean.serial_match is True
    assert [m["name"] for m in with_korean.models][2:] == [OCR_MODEL_NAME, KOREAN_OCR_MODEL_NAME]
    assert with_korean.models[3] == korean_ocr_model_ref()
    assert [m["name"] for m in without.models][2:] == [OCR_MODEL_NAME]
    assert "번호" not in without.ocr_text.replace(" ", "")
    # The same scores either way: OCR only adds text.
    assert with_korean.authenticity_score == without.authenticity_score


@needs_korean_tesseract
def test_auto_and_on_read_korean_when_it_is_installed() -> None:
    assert korean_ocr_enabled("auto") is True
    assert korean_ocr_enabled("on") is True
    assert korean_ocr_enabled("off") is False


@pytest.mark.usefixtures("without_tesseract")
def test_without_tesseract_auto_says_so_and_on_refuses(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        assert korean_ocr_enabled("auto") is False
    assert "Korean label OCR is unavailable" in caplog.text
    with pytest.raises(OcrUnavailable):
        korean_ocr_enabled("on")
    assert korean_ocr_enabled("off") is False


@pytest.mark.usefixtures("without_tesseract")
def test_an_assessment_recorded_with_korean_cannot_be_rescored_without_it() -> None:
    recorded = [
        {"name": name, "version": "?", "sha256": "0" * 64}
        for name in ("authenticity", "quality_grade", OCR_MODEL_NAME, KOREAN_OCR_MODEL_NAME)
    ]
    recorded[2] = {"name": OCR_MODEL_NAME, **_installed_ppocr()}

    with pytest.raises(rescore.RescoreRefused, match="Korean"):
        rescore._recorded_scorer(recorded, MODELS_DIR)


def _installed_ppocr() -> dict[str, str]:
    from streams.ai_analysis.evidence_assessment import ocr_model_ref

    ref = ocr_model_ref()
    return {"version": ref["version"], "sha256": ref["sha256"]}
