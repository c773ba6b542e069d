"""What one reading of a label returns: the text, line by line with confidences, and which
engine (and version) read it, so a recorded result can be reproduced."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OcrLine:
    text: str
    confidence: float  # 0..1, the engine's own score for the line


@dataclass(frozen=True)
class OcrResult:
    lines: tuple[OcrLine, ...]
    engine: str  # e.g. "rapidocr-onnxruntime" or "tesseract"
    engine_version: str  # package or binary version, with the models it ran
    languages: tuple[str, ...]  # what the caller asked for: "en", "zh", "ko"

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)
