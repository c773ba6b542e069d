"""`verachain bench models`: per-call latency of each model on one thread, and of the whole
image pipeline (decode a 1024x1024 JPEG, features, authenticity and quality)."""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import numpy as np

from infra.models.image_features import FEATURE_COUNT
from infra.models.price_features import PriceInputs
from infra.models.scoring import BidScorer, ImageScorer, PriceEstimator
from infra.models.synthetic_bids import bid_history
from infra.models.synthetic_images import LabelSpec, render_label

TABULAR_P99_MS = 1.0
IMAGE_P99_MS = 50.0
IMAGE_SIDE = 1024


def _latencies_ms(call: Callable[[int], object], calls: int, warmup: int) -> dict[str, float]:
    for i in range(warmup):
        call(i)
    samples = []
    for i in range(calls):
        started = time.perf_counter()
        call(i)
        samples.append((time.perf_counter() - started) * 1000)
    ordered = np.asarray(samples)
    return {
        "p50_ms": round(float(np.percentile(ordered, 50)), 4),
        "p99_ms": round(float(np.percentile(ordered, 99)), 4),
        "calls": calls,
    }


def run_models_bench(tabular_calls: int = 5000, image_calls: int = 300) -> dict[str, Any]:
    """Figures per model with their target; `all_met` says whether every target holds."""
    rng = np.random.default_rng(1)
    images = [
        render_label(LabelSpec(authentic=i % 2 == 0, grade=i % 5, size=IMAGE_SIDE), rng)
        for i in range(8)
    ]
    bids = [b.features for b in bid_history(60, 3)]
    items = [
        PriceInputs("watch", "aurelia", 0.9, i % 5, Decimal(2000 + i), float(i % 10))
        for i in range(64)
    ]
    image_scorer = ImageScorer.load()
    bid_scorer = BidScorer.load()
    price = PriceEstimator.load()
    row = np.zeros((1, FEATURE_COUNT), dtype=np.float32)
    results: dict[str, dict[str, Any]] = {
        "authenticity (model only)": {
            **_latencies_ms(lambda _i: image_scorer.authenticity.run(row), tabular_calls, 200),
            "target_p99_ms": TABULAR_P99_MS,
        },
        "quality_grade (model only)": {
            **_latencies_ms(lambda _i: image_scorer.quality.run(row), tabular_calls, 200),
            "target_p99_ms": TABULAR_P99_MS,
        },
        "bid_anomaly": {
            **_latencies_ms(
                lambda i: bid_scorer.score_features(bids[i % len(bids)]), tabular_calls, 200
            ),
            "target_p99_ms": TABULAR_P99_MS,
        },
        "price_estimate": {
            **_latencies_ms(lambda i: price.estimate(items[i % len(items)]), tabular_calls, 200),
            "target_p99_ms": TABULAR_P99_MS,
        },
        f"image pipeline ({IMAGE_SIDE}x{IMAGE_SIDE} JPEG)": {
            **_latencies_ms(
                lambda i: image_scorer.assess(images[i % len(images)]), image_calls, 10
            ),
            "target_p99_ms": IMAGE_P99_MS,
        },
    }
    for figures in results.values():
        figures["met"] = figures["p99_ms"] <= figures["target_p99_ms"]
    return {
        "threads": {"intra_op": 1, "inter_op": 1},
        "models": results,
        "all_met": all(f["met"] for f in results.values()),
    }
