"""Evidence photos for the scoring tests: an authentic-looking synthetic label (the models'
generator) with a serial number printed on it (the OCR bench's text renderer)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from infra.bench.ocr_labels import find_font, render_label
from infra.models.synthetic_images import LabelSpec
from infra.models.synthetic_images import render_label as render_product_label


def label_photo(serial: str, seed: int) -> bytes:
    font = find_font("latin")
    if font is None:
        pytest.skip("no Latin font (fonts-dejavu-core) to print the serial with")
    photo = Image.open(
        io.BytesIO(render_product_label(LabelSpec(True, 0, 512), np.random.default_rng(seed)))
    ).convert("RGB")
    text = render_label([f"SERIAL: {serial}"], font, size=22, seed=seed)
    photo.paste(text, ((photo.width - text.width) // 2, photo.height - text.height - 2))
    out = io.BytesIO()
    photo.save(out, "JPEG", quality=92)
    return out.getvalue()
