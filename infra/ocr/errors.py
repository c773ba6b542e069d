"""Every way reading a label can fail, each with a name and the data to explain it."""

from __future__ import annotations


class OcrError(Exception):
    """Reading a label failed."""


class OcrUnavailable(OcrError):
    """No engine on this machine can read this language (for Korean: tesseract or its `kor`
    data is missing). Never turned into an empty reading: a caller must record it as such."""

    def __init__(self, language: str, reason: str) -> None:
        super().__init__(f"OCR for {language!r} is unavailable: {reason}")
        self.language = language
        self.reason = reason


class UnsupportedLanguage(OcrError):
    def __init__(self, language: str, supported: tuple[str, ...]) -> None:
        super().__init__(f"no OCR for language {language!r}; supported: {', '.join(supported)}")
        self.language = language


class UnreadableImage(OcrError):
    """The bytes are not an image Pillow can decode."""
