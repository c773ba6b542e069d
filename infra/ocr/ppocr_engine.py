"""English and Chinese through PP-OCR: the ONNX models shipped in the `rapidocr-onnxruntime`
wheel (PP-OCRv4 detection and the Chinese recognition model, whose dictionary holds Latin
letters and digits as well as about 6,600 Chinese characters). Loaded once per process."""

from __future__ import annotations

import threading
from importlib import metadata
from typing import Any

import numpy as np
import numpy.typing as npt

from infra.ocr.result import OcrLine, OcrResult

ENGINE = "rapidocr-onnxruntime"
MODELS = "PP-OCRv4 det + ch rec, mobile v2.0 cls"

_lock = threading.Lock()
_engine: Any = None  # the RapidOCR object: the library is untyped


def read_bgr(image: npt.NDArray[np.uint8], languages: tuple[str, ...]) -> OcrResult:
    """Read every text line of a BGR image (the channel order the library expects)."""
    result, _elapsed = _loaded()(image)
    # The library answers (None, None) when its detector finds no text at all: that is a
    # reading (a label without text), not a failure.
    lines = tuple(
        OcrLine(text=str(text), confidence=float(score)) for _box, text, score in result or ()
    )
    return OcrResult(lines=lines, engine=ENGINE, engine_version=version(), languages=languages)


def version() -> str:
    return f"{metadata.version(ENGINE)} ({MODELS})"


def _loaded() -> Any:
    global _engine  # noqa: PLW0603 - one engine per process, created on first use
    if _engine is None:
        with _lock:
            if _engine is None:
                _engine = _create()
    return _engine


def _create() -> Any:
    # Imported here: loading cv2 and onnxruntime costs time and memory a process that never
    # reads a label should not pay.
    from rapidocr_onnxruntime import RapidOCR

    return RapidOCR(
        # One intra-op thread per session, as for every model here: scale with processes.
        intra_op_num_threads=1,
        inter_op_num_threads=1,
        # The library's default scales the image's *short* side up to 736 px, so a 640x200
        # label became 2355x736 and detection took ~500 ms; capping the long side at 960 px
        # keeps label text legible and detection near 30 ms.
        det_limit_side_len=960,
        det_limit_type="max",
    )
