"""Deterministic visual features of an evidence image, the input of the authenticity and
quality models: the same bytes give the same vector (for a given Pillow and numpy), so a
recorded assessment can be reproduced from the stored evidence."""

from __future__ import annotations

import io

import numpy as np
import numpy.typing as npt
from PIL import Image

FloatArray = npt.NDArray[np.float32]

# Features are computed on a fixed small rendition: cost stays flat whatever the upload's size.
SIDE = 128
# JPEG blockiness is read on the decoded pixels before resizing (the 8x8 grid is lost after).
BLOCK_CROP = 256
HUE_BINS = 8

FEATURE_NAMES: tuple[str, ...] = (
    "mean_r",
    "mean_g",
    "mean_b",
    "std_r",
    "std_g",
    "std_b",
    *(f"hue_{i}" for i in range(HUE_BINS)),
    "mean_saturation",
    "laplacian_log_var",
    "edge_density",
    "mean_gradient",
    "noise_log",
    "mirror_lr",
    "mirror_ud",
    "contrast",
    "blockiness",
)
FEATURE_COUNT = len(FEATURE_NAMES)


def decode_image(data: bytes) -> Image.Image:
    """Decode to RGB. Size limits are the upload's business (POST /evidence); this is only
    ever given stored evidence or generated images."""
    with Image.open(io.BytesIO(data)) as image:
        return image.convert("RGB")


def image_features(image: Image.Image) -> FloatArray:
    """The fixed-length vector (FEATURE_NAMES order) of one RGB image."""
    blockiness = _blockiness(image)
    small = image.resize((SIDE, SIDE), Image.Resampling.BOX)
    rgb = np.asarray(small, dtype=np.float32) / 255.0
    hsv = np.asarray(small.convert("HSV"), dtype=np.float32) / 255.0
    gray = rgb @ np.array([0.299, 0.587, 0.114], dtype=np.float32)

    means = rgb.mean(axis=(0, 1))
    stds = rgb.std(axis=(0, 1))
    saturated = hsv[..., 1] > 0.2
    hue_hist = np.histogram(hsv[..., 0][saturated], bins=HUE_BINS, range=(0.0, 1.0))[0]
    hue_hist = hue_hist.astype(np.float32) / float(SIDE * SIDE)

    laplacian = (
        gray[:-2, 1:-1] + gray[2:, 1:-1] + gray[1:-1, :-2] + gray[1:-1, 2:] - 4 * gray[1:-1, 1:-1]
    )
    gx = gray[:, 1:] - gray[:, :-1]
    gy = gray[1:, :] - gray[:-1, :]
    gradient = np.hypot(gx[:-1, :], gy[:, :-1])
    # Residual after a 3x3 box blur: sensor/print noise (a median keeps edges from dominating).
    padded = np.pad(gray, 1, mode="edge")
    box = sum(
        padded[dy : dy + SIDE, dx : dx + SIDE] for dy in range(3) for dx in range(3)
    ) / np.float32(9.0)
    noise = float(np.median(np.abs(gray - box)))

    vector = [
        *means.tolist(),
        *stds.tolist(),
        *hue_hist.tolist(),
        float(hsv[..., 1].mean()),
        float(np.log(laplacian.var() + 1e-6)),
        float((gradient > 0.1).mean()),
        float(gradient.mean()),
        float(np.log(noise + 1e-4)),
        float(np.abs(gray - gray[:, ::-1]).mean()),
        float(np.abs(gray - gray[::-1, :]).mean()),
        float(np.percentile(gray, 95) - np.percentile(gray, 5)),
        blockiness,
    ]
    return np.asarray(vector, dtype=np.float32)


def features_of_bytes(data: bytes) -> FloatArray:
    return image_features(decode_image(data))


def _blockiness(image: Image.Image) -> float:
    """Mean jump across 8-pixel column boundaries over the mean jump elsewhere, on a central
    crop aligned to the JPEG grid: heavy recompression makes the boundaries stand out."""
    width, height = image.size
    side = min(BLOCK_CROP, width, height) // 8 * 8
    if side < 16:
        return 1.0
    left = (width - side) // 2 // 8 * 8
    top = (height - side) // 2 // 8 * 8
    gray = np.asarray(image.crop((left, top, left + side, top + side)).convert("L"), np.float32)
    jumps = np.abs(np.diff(gray, axis=1)).mean(axis=0)  # jump between column i and i+1
    boundary = jumps[7::8].mean()
    inside = np.delete(jumps, np.s_[7::8]).mean()
    return float((boundary + 1.0) / (inside + 1.0))
