"""`verachain models train`: rebuild every model from the synthetic generators with fixed
seeds, write the .onnx files and their cards. Needs the `train` extra (scikit-learn, skl2onnx,
onnx); nothing here runs at import time, and the extra is imported only inside the functions.

To train on your own data, call the `fit_*` functions with your arrays (same feature order as
the cards' `parameters.feature_names`) and `write_model` the result; see the README."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from domain.bid_features import BID_FEATURE_NAMES
from infra.models.card import ModelCard
from infra.models.errors import TrainingUnavailable
from infra.models.image_features import FEATURE_NAMES, features_of_bytes
from infra.models.price_features import PRICE_FEATURE_NAMES
from infra.models.registry import card_path, file_sha256, open_session, session_signature
from infra.models.synthetic_bids import bid_history
from infra.models.synthetic_images import GRADES, label_set
from infra.models.synthetic_prices import sold_items
from infra.models.train_metrics import (
    anomaly_metrics,
    classifier_metrics,
    grade_metrics,
    regression_metrics,
)

Floats = npt.NDArray[np.float32]
VERSION = "1.0.0"
IMAGE_SEED, BID_SEED, PRICE_SEED, FIT_SEED = 20261101, 20261102, 20261103, 7
SYNTHETIC = "Synthetic data only, from this repository's generators ({generator}, seed {seed})"


@dataclass(frozen=True)
class TrainedModel:
    name: str
    onnx: bytes
    trained_on: str
    intended_use: str
    limitations: str
    metrics: dict[str, Any]
    parameters: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TrainingSizes:
    """How much synthetic data to make; `tiny` is the test suite's smoke run."""

    images: int = 2000
    auctions: int = 6000
    items: int = 6000

    @classmethod
    def tiny(cls) -> TrainingSizes:
        return cls(images=60, auctions=300, items=400)


def require_train_extra() -> None:
    try:
        import onnx  # noqa: F401
        import skl2onnx  # noqa: F401
        import sklearn  # noqa: F401
    except ImportError as e:
        raise TrainingUnavailable(
            f"training needs the train extra: pip install 'verachain[train]' ({e.name} missing)"
        ) from e


def train_all(
    out: Path, sizes: TrainingSizes = TrainingSizes(), say: Callable[[str], None] = print
) -> list[ModelCard]:
    """Train the four models into `out`; returns their cards."""
    require_train_extra()
    out.mkdir(parents=True, exist_ok=True)
    say(f"rendering {sizes.images} synthetic label images (seed {IMAGE_SEED})")
    labels = label_set(sizes.images, IMAGE_SEED)
    features = np.stack([features_of_bytes(data) for _, data in labels])
    authentic = np.array([spec.authentic for spec, _ in labels])
    grades = np.array([spec.grade for spec, _ in labels])
    cards = []
    for model in (
        fit_authenticity(features, authentic),
        fit_quality(features, grades),
        fit_bid_anomaly(sizes.auctions),
        fit_price(sizes.items),
    ):
        say(f"{model.name}: {model.metrics}")
        cards.append(write_model(model, out))
    return cards


def _split(count: int) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """Every fourth pair of examples is held out: deterministic, and balanced over the
    generators' alternating classes."""
    test = np.arange(count) // 2 % 4 == 3
    return ~test, test


def fit_authenticity(features: Floats, authentic: npt.NDArray[np.bool_]) -> TrainedModel:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from infra.models.onnx_export import classifier_onnx

    train, test = _split(len(features))
    pipeline = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=5000))
    pipeline.fit(features[train], authentic[train].astype(np.int64))
    p_authentic = pipeline.predict_proba(features[test])[:, 1]
    return TrainedModel(
        name="authenticity",
        onnx=classifier_onnx(pipeline, len(FEATURE_NAMES), "authenticity"),
        trained_on=SYNTHETIC.format(generator="infra/models/synthetic_images.py", seed=IMAGE_SEED)
        + f": {len(features)} rendered label photos, half authentic, half counterfeit with 2-3"
        " tells each (blur, off colour, misaligned print, noise, heavy JPEG, no microprint),"
        " sizes 256-512 px, random wear; standardised features + logistic regression"
        f" (scikit-learn). Held out: every 4th pair of images ({int(test.sum())}).",
        intended_use="P(authentic) of an evidence photo of a product label, as one input of"
        " the AI assessment that a human inspector then confirms or overrides.",
        limitations="Trained only on synthetic renderings of one label design: on real photos"
        " its scores are not calibrated and must not decide alone. Retrain on your own labelled"
        " evidence before relying on it.",
        metrics=classifier_metrics(authentic[test], p_authentic),
        parameters={
            "feature_names": list(FEATURE_NAMES),
            "classes": ["counterfeit", "authentic"],
            "positive_class": 1,
        },
    )


def fit_quality(features: Floats, grades: npt.NDArray[np.int64]) -> TrainedModel:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from infra.models.onnx_export import classifier_onnx

    train, test = _split(len(features))
    pipeline = make_pipeline(StandardScaler(), LogisticRegression(C=3.0, max_iter=5000))
    pipeline.fit(features[train], grades[train])
    predicted = pipeline.predict(features[test])
    return TrainedModel(
        name="quality_grade",
        onnx=classifier_onnx(pipeline, len(FEATURE_NAMES), "quality_grade"),
        trained_on=SYNTHETIC.format(generator="infra/models/synthetic_images.py", seed=IMAGE_SEED)
        + f": the same {len(features)} label photos, graded 0 (mint) to 4 (worn) by synthetic"
        " wear (fading, scratches, stains); standardised features + multinomial logistic"
        f" regression. Held out: every 4th pair of images ({int(test.sum())}).",
        intended_use="A condition grade suggestion for the inspector and an input of the price"
        " estimate.",
        limitations="Synthetic wear only; neighbouring grades are often confused (see"
        " within_one_accuracy). Not a substitute for the inspector's grading.",
        metrics=grade_metrics(grades[test], predicted, len(GRADES)),
        parameters={"feature_names": list(FEATURE_NAMES), "classes": list(GRADES)},
    )


def fit_bid_anomaly(auctions: int) -> TrainedModel:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPRegressor

    from infra.models.onnx_export import autoencoder_onnx

    bids = bid_history(auctions, BID_SEED)
    x = np.array([b.features for b in bids], dtype=np.float32)
    shill = np.array([b.shill for b in bids])
    # Split by auction (thirds): train and validation on ordinary bids only, test on all.
    part = np.array([b.auction for b in bids]) % 3
    train = (part == 0) & ~shill
    validation = (part == 1) & ~shill
    test = part == 2
    mean = x[train].mean(axis=0)
    scale = x[train].std(axis=0) + 1e-6
    z = (x - mean) / scale
    mlp = MLPRegressor(
        hidden_layer_sizes=(12, 3, 12),
        activation="tanh",
        max_iter=400,
        random_state=FIT_SEED,
        tol=1e-5,
    )
    with warnings.catch_warnings():
        # A fixed iteration budget, not convergence, is what keeps retraining reproducible.
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp.fit(z[train], z[train])
    errors = ((mlp.predict(z) - z) ** 2).mean(axis=1)
    # The threshold keeps ~1% of ordinary validation bids above it: a flag is a review
    # request, so a few false alarms are acceptable and cheap.
    threshold = float(np.quantile(errors[validation], 0.99))
    metrics = anomaly_metrics(errors[test], shill[test], threshold, [b.auction for b in bids], test)
    return TrainedModel(
        name="bid_anomaly",
        onnx=autoencoder_onnx(mean, scale, mlp),
        trained_on=SYNTHETIC.format(generator="infra/models/synthetic_bids.py", seed=BID_SEED)
        + f": {auctions} auctions ({len(bids)} bids); a third of the sellers have a scripted"
        " shill (answers within seconds by the minimum increment, only that seller, never"
        " wins). Autoencoder (MLPRegressor 12-3-12, tanh) fitted to reconstruct standardised"
        " features of ordinary bids (auctions = 0 mod 3); threshold = 99th percentile of the"
        " error on ordinary bids of auctions = 1 mod 3; metrics on auctions = 2 mod 3.",
        intended_use="Flag bids for review (FlagBid) that look like shill bidding; score ="
        " reconstruction error, flagged when above parameters.threshold.",
        limitations="Knows one scripted shill pattern and synthetic ordinary bidding; first"
        " bids of a shill with no history with the seller are hard to tell. Flags are for"
        " human review, never automatic sanctions.",
        metrics=metrics,
        parameters={"feature_names": list(BID_FEATURE_NAMES), "threshold": threshold},
    )


def fit_price(items: int) -> TrainedModel:
    from sklearn.ensemble import GradientBoostingRegressor

    from infra.models.onnx_export import regressor_onnx

    _, x, log_price = sold_items(items, PRICE_SEED)
    train, test = _split(len(x))
    regressor = GradientBoostingRegressor(
        n_estimators=150, max_depth=3, learning_rate=0.1, random_state=FIT_SEED
    )
    regressor.fit(x[train], log_price[train])
    return TrainedModel(
        name="price_estimate",
        onnx=regressor_onnx(regressor, len(PRICE_FEATURE_NAMES), "price_estimate"),
        trained_on=SYNTHETIC.format(generator="infra/models/synthetic_prices.py", seed=PRICE_SEED)
        + f": {items} sold items (category and manufacturer bases, penalties for low"
        " authenticity, wear and age, recent median of the kind, lognormal noise);"
        " gradient-boosted trees (150 x depth 3) on log price. Held out: every 4th pair of items.",
        intended_use="A suggested reserve price (product { priceEstimate }): exp of the output,"
        " as Decimal rounded to cents at the boundary.",
        limitations="Synthetic prices and an 8-manufacturer vocabulary (others are 'other');"
        " says nothing about real markets until retrained on your sales.",
        metrics=regression_metrics(log_price[test], regressor.predict(x[test])),
        parameters={"feature_names": list(PRICE_FEATURE_NAMES), "target": "log(price)"},
    )


def write_model(model: TrainedModel, out: Path) -> ModelCard:
    """The .onnx file and its card, whose hash and signature are read back from the file."""
    path = out / f"{model.name}.onnx"
    path.write_bytes(model.onnx)
    inputs, outputs = session_signature(open_session(model.onnx))
    card = ModelCard(
        name=model.name,
        version=VERSION,
        file=path.name,
        sha256=file_sha256(path),
        inputs=inputs,
        outputs=outputs,
        trained_on=model.trained_on,
        intended_use=model.intended_use,
        limitations=model.limitations,
        metrics=model.metrics,
        parameters=model.parameters,
    )
    card.write(card_path(out, model.name))
    return card
