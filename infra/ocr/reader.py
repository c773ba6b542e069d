"""`read_label`: one entry point that picks the engine for the languages asked for."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, UnidentifiedImageError

from infra.ocr import ppocr_engine, tesseract_engine
from infra.ocr.errors import UnreadableImage, UnsupportedLanguage
from infra.ocr.result import OcrResult

SUPPORTED_LANGUAGES = ("en", "zh", "ko")
# The PP-OCR Chinese recognition model reads Latin script too, so English and Chinese share
# one engine; Korean is not in its dictionary.
_PPOCR_LANGUAGES = frozenset({"en", "zh"})


def read_label(
    image: bytes | Image.Image,
    languages: tuple[str, ...] = ("en",),
    *,
    tesseract_cmd: str = "tesseract",
) -> OcrResult:
    """Read a label's text. English and Chinese run on PP-OCR (ONNX); asking for Korean runs
    tesseract (which also reads the English on the label) or raises OcrUnavailable."""
    for language in languages:
        if language not in SUPPORTED_LANGUAGES:
            raise UnsupportedLanguage(language, SUPPORTED_LANGUAGES)
    if not languages:
        raise UnsupportedLanguage("", SUPPORTED_LANGUAGES)
    picture = _decoded(image)
    if "ko" in languages:
        return tesseract_engine.read_png(_png(picture), tesseract_cmd, languages)
    rgb = np.asarray(picture.convert("RGB"))
    return ppocr_engine.read_bgr(np.ascontiguousarray(rgb[:, :, ::-1]), languages)


def _decoded(image: bytes | Image.Image) -> Image.Image:
    if isinstance(image, Image.Image):
        return image
    try:
        # Callers hand over evidence that POST /evidence already bounded in bytes and pixels.
        picture = Image.open(io.BytesIO(image))
        picture.load()
    except (UnidentifiedImageError, OSError) as e:
        raise UnreadableImage(f"not a decodable image: {e}") from e
    return picture


def _png(picture: Image.Image) -> bytes:
    # Tesseract reads any format leptonica knows; PNG is lossless and always among them.
    # Grayscale: a third of the bytes to encode and parse, and it read our noisy labels as
    # well as colour did.
    out = io.BytesIO()
    picture.convert("L").save(out, format="PNG", compress_level=1)
    return out.getvalue()
