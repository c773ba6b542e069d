"""Fonts for the rendered labels (installed by `make ocr-deps`); a missing one skips the
tests of its script, saying which package to install."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.bench.ocr_labels import find_font


@pytest.fixture(scope="session")
def latin_font() -> Path:
    font = find_font("latin")
    if font is None:
        pytest.skip("no Latin font found (Debian: fonts-dejavu-core; `make ocr-deps`)")
    return font


@pytest.fixture(scope="session")
def cjk_font() -> Path:
    font = find_font("cjk")
    if font is None:
        pytest.skip("no CJK font found (Debian: fonts-noto-cjk; `make ocr-deps`)")
    return font
