"""A synthetic catalogue of sold items: price from category and manufacturer bases, times a
penalty for low authenticity and for wear, near the recent median of its kind, with noise."""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from infra.models.price_features import CATEGORIES, MANUFACTURERS, PriceInputs, price_features

CATEGORY_BASE = {
    "watch": 2500,
    "handbag": 1400,
    "sneaker": 260,
    "jewelry": 1800,
    "electronics": 600,
    "art": 3200,
}
MAKER_FACTOR = dict(zip(MANUFACTURERS, (3.0, 1.8, 1.4, 1.1, 0.9, 0.75, 0.6, 0.5), strict=True))


def sold_items(
    count: int, seed: int
) -> tuple[list[PriceInputs], npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """Items, their feature matrix and their log sale prices."""
    rng = np.random.default_rng(seed)
    items: list[PriceInputs] = []
    targets: list[float] = []
    for _ in range(count):
        category = CATEGORIES[int(rng.integers(0, len(CATEGORIES)))]
        known = rng.random() < 0.85
        maker = MANUFACTURERS[int(rng.integers(0, len(MANUFACTURERS)))] if known else "unbranded"
        factor = MAKER_FACTOR.get(maker, 0.4)
        authenticity = float(rng.beta(6, 1.2))
        grade = int(rng.integers(0, 5))
        age = float(rng.exponential(6.0))
        fair = CATEGORY_BASE[category] * factor
        fair *= (0.25 + 0.75 * authenticity**2) * (1.0 - 0.12 * grade)
        fair *= math.exp(-0.02 * age) if category != "art" else math.exp(0.01 * age)
        has_recent = rng.random() < 0.7
        recent = Decimal(int(fair * rng.lognormal(0.0, 0.15)) + 1) if has_recent else None
        price = fair * rng.lognormal(0.0, 0.12)
        items.append(PriceInputs(category, maker, authenticity, grade, recent, age))
        targets.append(math.log(price))
    features = np.array([price_features(i) for i in items], dtype=np.float32)
    return items, features, np.array(targets, dtype=np.float32)
