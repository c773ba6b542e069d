"""OCR of product labels: read the printed text, compare the serial number with the registered
one. The engines load on first use, never at import."""

from infra.ocr.errors import OcrError, OcrUnavailable, UnreadableImage, UnsupportedLanguage
from infra.ocr.reader import SUPPORTED_LANGUAGES, read_label
from infra.ocr.result import OcrLine, OcrResult
from infra.ocr.serial_match import SerialMatch, normalize_serial, serial_match

__all__ = [
    "SUPPORTED_LANGUAGES",
    "OcrError",
    "OcrLine",
    "OcrResult",
    "OcrUnavailable",
    "SerialMatch",
    "UnreadableImage",
    "UnsupportedLanguage",
    "normalize_serial",
    "read_label",
    "serial_match",
]
