"""Korean through tesseract when Debian's tesseract-ocr-kor is installed; OcrUnavailable, never
an empty reading, when the binary or its Korean data is missing."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from infra.bench.ocr_labels import korean_label, label_set
from infra.ocr import OcrUnavailable, read_label, serial_match


def _has_korean_tesseract() -> bool:
    binary = shutil.which("tesseract")
    if binary is None:
        return False
    listed = subprocess.run(
        [binary, "--list-langs"], capture_output=True, text=True, timeout=30, check=False
    )
    return "kor" in (listed.stdout + listed.stderr).split()


needs_korean_tesseract = pytest.mark.skipif(
    not _has_korean_tesseract(),
    reason="tesseract with Korean data is not installed (Debian: tesseract-ocr tesseract-ocr-kor; "
    "`make ocr-deps`)",
)


@needs_korean_tesseract
def test_a_korean_label_is_read_with_its_serial(cjk_font: Path) -> None:
    label = korean_label("AB123456", cjk_font, angle=1.5, seed=5)

    result = read_label(label.image, ("ko",))

    assert result.engine == "tesseract"
    assert result.languages == ("ko",)
    # Tesseract puts spaces between Hangul syllables; the words are there.
    assert "번호" in result.text.replace(" ", "")
    assert "손목시계" in result.text.replace(" ", "")
    assert serial_match(result.text, "AB123456").found
    assert all(0 <= line.confidence <= 1 for line in result.lines)


@needs_korean_tesseract
def test_most_serials_of_a_generated_korean_set_are_found(cjk_font: Path) -> None:
    labels = [label for label in label_set(24, seed=5, korean=True) if label.language == "ko"]

    found = sum(
        serial_match(read_label(label.image, ("ko",)).text, label.serial).found for label in labels
    )

    # 29 of 30 with tesseract 5.3 (Debian 12) on labels like these: a looser bound, because
    # another tesseract version may read a noisy character differently.
    assert found >= len(labels) - 2, f"{found} of {len(labels)}"


def test_korean_without_a_tesseract_binary_is_unavailable(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-tesseract"

    with pytest.raises(OcrUnavailable) as raised:
        read_label(Image.new("RGB", (200, 60), "white"), ("ko",), tesseract_cmd=str(missing))

    assert raised.value.language == "ko"
    assert str(missing) in raised.value.reason


def test_korean_with_a_tesseract_without_korean_data_is_unavailable(tmp_path: Path) -> None:
    # A stand-in for a tesseract installed without tesseract-ocr-kor: it answers --list-langs
    # as tesseract does, with English only.
    stand_in = tmp_path / "tesseract"
    stand_in.write_text(
        '#!/bin/sh\necho "List of available languages in \\"/tmp/\\" (1):"\necho eng\n'
    )
    stand_in.chmod(0o755)

    with pytest.raises(OcrUnavailable, match="tesseract-ocr-kor") as raised:
        read_label(Image.new("RGB", (200, 60), "white"), ("ko",), tesseract_cmd=str(stand_in))

    assert raised.value.language == "ko"
