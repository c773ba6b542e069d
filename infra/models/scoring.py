"""The scoring API the stream agents and the API call: load the models once per process,
then score raw inputs (image bytes, bid facts, price inputs). Each result names the models
(name, version, sha256) that produced it, for the recorded assessment."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import numpy as np

from domain.bid_features import BidFacts, bid_features
from infra.models.image_features import features_of_bytes
from infra.models.price_features import PriceInputs, price_features, price_from_log
from infra.models.registry import MODELS_DIR, LoadedModel, load_model


@dataclass(frozen=True)
class ModelRef:
    name: str
    version: str
    sha256: str

    @classmethod
    def of(cls, model: LoadedModel) -> ModelRef:
        return cls(model.name, model.version, model.sha256)


@dataclass(frozen=True)
class ImageAssessment:
    p_authentic: float
    quality_grade: int  # 0 (mint) .. 4 (worn)
    quality_label: str
    quality_probabilities: tuple[float, ...]
    models: tuple[ModelRef, ModelRef]


@dataclass(frozen=True)
class ImageScorer:
    """Authenticity and quality from one feature pass over the image."""

    authenticity: LoadedModel
    quality: LoadedModel

    @classmethod
    def load(cls, directory: Path = MODELS_DIR) -> ImageScorer:
        return cls(load_model("authenticity", directory), load_model("quality_grade", directory))

    def assess(self, image: bytes) -> ImageAssessment:
        row = features_of_bytes(image)[None, :]
        p_authentic = float(self.authenticity.run(row)[1][0, 1])
        probabilities = self.quality.run(row)[1][0]
        grade = int(np.argmax(probabilities))
        return ImageAssessment(
            p_authentic=p_authentic,
            quality_grade=grade,
            quality_label=str(self.quality.card.parameters["classes"][grade]),
            quality_probabilities=tuple(float(p) for p in probabilities),
            models=(ModelRef.of(self.authenticity), ModelRef.of(self.quality)),
        )


@dataclass(frozen=True)
class BidScore:
    score: float  # reconstruction error; higher = less like ordinary bidding
    threshold: float
    model: ModelRef

    @property
    def flagged(self) -> bool:
        return self.score > self.threshold


@dataclass(frozen=True)
class BidScorer:
    model: LoadedModel

    @classmethod
    def load(cls, directory: Path = MODELS_DIR) -> BidScorer:
        return cls(load_model("bid_anomaly", directory))

    def score(self, facts: BidFacts) -> BidScore:
        return self.score_features(bid_features(facts))

    def score_features(self, features: tuple[float, ...]) -> BidScore:
        row = np.asarray([features], dtype=np.float32)
        return BidScore(
            score=float(self.model.run(row)[0][0, 0]),
            threshold=float(self.model.card.parameters["threshold"]),
            model=ModelRef.of(self.model),
        )


@dataclass(frozen=True)
class PriceEstimator:
    model: LoadedModel

    @classmethod
    def load(cls, directory: Path = MODELS_DIR) -> PriceEstimator:
        return cls(load_model("price_estimate", directory))

    def estimate(self, item: PriceInputs) -> Decimal:
        """Suggested reserve price, in the currency of the recent sales it was given."""
        row = np.asarray([price_features(item)], dtype=np.float32)
        return price_from_log(float(self.model.run(row)[0][0, 0]))
