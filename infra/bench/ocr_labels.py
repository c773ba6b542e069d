"""Synthetic product labels for the OCR tests and `verachain bench ocr`: a few lines of text
on a light background, slightly rotated, with sensor-like noise, in a font that has the
script's glyphs (DejaVu for Latin, Noto CJK for Chinese and Korean)."""

from __future__ import annotations

import random
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

# Debian's paths first (fonts-dejavu-core, fonts-noto-cjk); fc-list finds them elsewhere.
_KNOWN_FONTS = {
    "latin": ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",),
    "cjk": (
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    ),
}
# What fc-list is asked for when no known path exists: a language the font must cover.
_FC_LANG = {"latin": "en", "cjk": "zh-cn"}
_BACKGROUND = (236, 232, 222)
_INK = (25, 25, 35)


@dataclass(frozen=True)
class Label:
    image: Image.Image
    serial: str
    language: str  # "en", "zh" or "ko"


def find_font(script: str) -> Path | None:
    """A font file with glyphs for "latin" or "cjk" (Chinese and Korean), or None."""
    for known in _KNOWN_FONTS[script]:
        if Path(known).is_file():
            return Path(known)
    try:
        listed = subprocess.run(  # noqa: S603 - fixed arguments
            ["fc-list", f":lang={_FC_LANG[script]}", "file"],  # noqa: S607 - fontconfig's tool
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout
    except OSError:
        return None
    files = sorted(line.strip().rstrip(":") for line in listed.splitlines() if line.strip())
    return Path(files[0]) if files else None


def render_label(
    lines: list[str], font: Path, *, angle: float = 0.0, seed: int = 0, size: int = 34
) -> Image.Image:
    face = ImageFont.truetype(str(font), size)
    width = 60 + max(int(face.getlength(line)) for line in lines)
    height = 40 + len(lines) * int(size * 1.7)
    image = Image.new("RGB", (width, height), _BACKGROUND)
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((30, 20 + i * int(size * 1.7)), line, fill=_INK, font=face)
    image = image.rotate(
        angle, expand=True, resample=Image.Resampling.BICUBIC, fillcolor=_BACKGROUND
    )
    rng = np.random.default_rng(seed)
    noisy = np.asarray(image, dtype=np.int16) + rng.integers(
        -24, 25, (image.height, image.width, 3)
    )
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))


def random_serial(rng: random.Random) -> str:
    letters = "ACDEFHJKMNPRTUVWXY"  # no letters OCR confuses with digits: a fair accuracy test
    head = "".join(rng.choice(letters) for _ in range(2))
    tail = "".join(rng.choice(letters) for _ in range(2))
    return f"{head}{rng.randint(10, 99)}-{rng.randint(1000, 9999)}-{tail}"


def english_label(serial: str, font: Path, *, angle: float = 2.0, seed: int = 0) -> Label:
    lines = ["VeraChain Chronograph 42", f"SERIAL: {serial}", "Made in Switzerland"]
    return Label(render_label(lines, font, angle=angle, seed=seed), serial, "en")


def chinese_label(serial: str, font: Path, *, angle: float = -2.0, seed: int = 0) -> Label:
    lines = ["精工机械手表", f"序列号 {serial}", "中国制造"]
    return Label(render_label(lines, font, angle=angle, seed=seed), serial, "zh")


def korean_label(serial: str, font: Path, *, angle: float = 1.0, seed: int = 0) -> Label:
    lines = ["정품 손목시계", f"일련번호 {serial}"]
    return Label(render_label(lines, font, angle=angle, seed=seed), serial, "ko")


def label_set(count: int, *, seed: int = 7, korean: bool = False) -> list[Label]:
    """Alternating English and Chinese labels (Korean as well when asked), with their own
    random serials, angles and noise; no label of a script whose font is missing."""
    rng = random.Random(seed)
    latin, cjk = find_font("latin"), find_font("cjk")
    makers: list[Callable[[str, float, int], Label]] = []
    if latin is not None:
        makers.append(lambda s, a, n: english_label(s, latin, angle=a, seed=n))
    if cjk is not None:
        makers.append(lambda s, a, n: chinese_label(s, cjk, angle=a, seed=n))
        if korean:
            makers.append(lambda s, a, n: korean_label(s, cjk, angle=a, seed=n))
    return [
        makers[i % len(makers)](random_serial(rng), rng.uniform(-3, 3), i)
        for i in range(count if makers else 0)
    ]
