"""Synthetic product-label photos with known answers, for training and testing the image
models: an "authentic" label is crisp, on-colour, centred and carries fine microprint; a
"counterfeit" has two or more of the tells of a cheap copy (blur, off colour, misaligned print,
noise, heavy JPEG, flattened microprint). Wear (grades 0 mint .. 4 worn) fades, scratches and
stains a label, whatever its origin. Everything is driven by a numpy Generator: a seed gives
the same image bytes."""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter

CREAM = (244, 238, 222)
BRAND_RED = (196, 28, 44)
NAVY = (22, 40, 112)
GOLD = (201, 162, 39)
GRADES = ("mint", "excellent", "good", "fair", "worn")
TELLS = ("blur", "colour", "misprint", "noise", "recompressed", "no_microprint")


@dataclass(frozen=True)
class LabelSpec:
    authentic: bool
    grade: int  # index into GRADES
    size: int  # side in pixels


def render_label(spec: LabelSpec, rng: np.random.Generator) -> bytes:
    """A JPEG of the label, as a phone would upload it."""
    s = spec.size
    tells = set() if spec.authentic else _pick_tells(rng)
    red = _shifted(BRAND_RED, rng, 45) if "colour" in tells else _shifted(BRAND_RED, rng, 6)
    navy = _shifted(NAVY, rng, 40) if "colour" in tells else _shifted(NAVY, rng, 5)
    image = Image.new("RGB", (s, s), _shifted(CREAM, rng, 6))
    draw = ImageDraw.Draw(image)
    # Misprint: the logo plate lands off the label's axis, as when colour plates misregister.
    shift = int(s * rng.uniform(0.04, 0.09)) * (1 if rng.random() < 0.5 else -1)
    dx = shift if "misprint" in tells else int(s * rng.uniform(-0.006, 0.006))
    c = s // 2
    r = int(s * 0.2)
    draw.ellipse((c - r + dx, int(s * 0.12), c + r + dx, int(s * 0.12) + 2 * r), fill=red)
    draw.ellipse(
        (c - r // 2 + dx, int(s * 0.12) + r // 2, c + r // 2 + dx, int(s * 0.12) + 3 * r // 2),
        fill=CREAM,
    )
    draw.rectangle((int(s * 0.1), int(s * 0.58), int(s * 0.9), int(s * 0.68)), fill=navy)
    draw.rectangle((int(s * 0.3), int(s * 0.72), int(s * 0.7), int(s * 0.75)), fill=GOLD)
    if "no_microprint" not in tells:
        _microprint(draw, s, navy)
    image = _wear(image, spec.grade, rng)
    if "blur" in tells:
        image = image.filter(ImageFilter.GaussianBlur(s * rng.uniform(0.006, 0.014)))
    image = ImageEnhance.Brightness(image).enhance(rng.uniform(0.88, 1.12))
    image = image.rotate(
        rng.uniform(-1.5, 1.5), resample=Image.Resampling.BILINEAR, fillcolor=CREAM
    )
    sigma = rng.uniform(7.0, 14.0) if "noise" in tells else rng.uniform(0.5, 3.0)
    pixels = np.asarray(image, dtype=np.float32) + rng.normal(0.0, sigma, (s, s, 3))
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    quality = int(rng.integers(18, 40)) if "recompressed" in tells else int(rng.integers(82, 96))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def _pick_tells(rng: np.random.Generator) -> set[str]:
    count = int(rng.integers(2, 4))
    return {TELLS[i] for i in rng.choice(len(TELLS), size=count, replace=False)}


def _shifted(
    colour: tuple[int, int, int], rng: np.random.Generator, spread: int
) -> tuple[int, ...]:
    return tuple(int(np.clip(v + rng.integers(-spread, spread + 1), 0, 255)) for v in colour)


def _microprint(draw: ImageDraw.ImageDraw, s: int, colour: tuple[int, ...]) -> None:
    """Guilloche-like fine waves above and below the band: what cheap printing loses first."""
    width = max(1, s // 256)
    for k in range(6):
        base = s * (0.80 + 0.025 * k)
        points = [
            (x, base + s * 0.008 * math.sin(x / s * 40 * math.pi + k)) for x in range(0, s, 2)
        ]
        draw.line(points, fill=colour, width=width)


def _wear(image: Image.Image, grade: int, rng: np.random.Generator) -> Image.Image:
    """Fading, scratches and stains grow with the grade (0 = mint: none)."""
    if grade == 0:
        return image
    s = image.size[0]
    faded = ImageEnhance.Contrast(image).enhance(1.0 - 0.13 * grade - rng.uniform(0, 0.04))
    draw = ImageDraw.Draw(faded)
    for _ in range(int(4 * grade**1.6)):
        x, y = rng.uniform(0, s, 2)
        angle = rng.uniform(0, math.pi)
        length = s * rng.uniform(0.05, 0.3)
        shade = int(rng.integers(150, 255))
        end = (x + length * math.cos(angle), y + length * math.sin(angle))
        draw.line([(x, y), end], fill=(shade, shade, shade), width=max(1, s // 300))
    for _ in range(grade * grade // 2):
        x, y = rng.uniform(0, s, 2)
        r = s * rng.uniform(0.03, 0.08)
        tint = (int(rng.integers(120, 170)), int(rng.integers(100, 140)), 60)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=tint)
    return faded


def label_set(
    count: int, seed: int, *, sizes: tuple[int, ...] = (256, 320, 384)
) -> list[tuple[LabelSpec, bytes]]:
    """`count` labels, half authentic, grades uniform, sizes drawn from `sizes`."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(count):
        spec = LabelSpec(
            authentic=i % 2 == 0,
            grade=int(rng.integers(0, len(GRADES))),
            size=int(rng.choice(sizes)),
        )
        out.append((spec, render_label(spec, rng)))
    return out
