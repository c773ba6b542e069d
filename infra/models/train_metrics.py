"""Held-out metrics for the cards: plain numpy, rounded so that re-training rewrites the
cards byte for byte (float noise in the last digits would not)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt


def _r(value: float) -> float:
    return round(float(value), 4)


def classifier_metrics(
    truth: npt.NDArray[np.bool_], p_positive: npt.NDArray[Any]
) -> dict[str, Any]:
    predicted = p_positive >= 0.5
    positives, negatives = p_positive[truth], p_positive[~truth]
    # AUC as the probability that a random positive outscores a random negative.
    auc = (positives[:, None] > negatives[None, :]).mean() + 0.5 * (
        positives[:, None] == negatives[None, :]
    ).mean()
    return {
        "held_out": len(truth),
        "accuracy": _r((predicted == truth).mean()),
        "roc_auc": _r(auc),
        "true_positive_rate": _r(predicted[truth].mean()),
        "false_positive_rate": _r(predicted[~truth].mean()),
        "mean_p_authentic_of_authentic": _r(positives.mean()),
        "mean_p_authentic_of_counterfeit": _r(negatives.mean()),
    }


def grade_metrics(
    truth: npt.NDArray[Any], predicted: npt.NDArray[Any], classes: int
) -> dict[str, Any]:
    confusion = np.zeros((classes, classes), dtype=int)
    for t, p in zip(truth, predicted, strict=True):
        confusion[int(t), int(p)] += 1
    return {
        "held_out": len(truth),
        "accuracy": _r((truth == predicted).mean()),
        "within_one_accuracy": _r((np.abs(truth - predicted) <= 1).mean()),
        "confusion_rows_truth_cols_predicted": confusion.tolist(),
    }


def anomaly_metrics(
    errors: npt.NDArray[Any],
    shill: npt.NDArray[np.bool_],
    threshold: float,
    auctions: Sequence[int],
    test: npt.NDArray[np.bool_],
) -> dict[str, Any]:
    flagged = errors > threshold
    # Per auction with a shill: was at least one of the shill's bids flagged?
    test_auctions = np.asarray(auctions)[test]
    shill_auctions = set(test_auctions[shill].tolist())
    caught = set(test_auctions[shill & flagged].tolist())
    return {
        "held_out_bids": len(errors),
        "held_out_shill_bids": int(shill.sum()),
        "threshold": _r(threshold),
        "false_positive_rate": _r(flagged[~shill].mean()),
        "detection_rate_per_bid": _r(flagged[shill].mean()),
        "shill_auctions": len(shill_auctions),
        "detection_rate_per_shill_auction": _r(len(caught) / max(len(shill_auctions), 1)),
    }


def regression_metrics(
    log_truth: npt.NDArray[Any], log_predicted: npt.NDArray[Any]
) -> dict[str, Any]:
    ratio = np.exp(log_predicted - log_truth)
    residual = log_truth - log_predicted
    return {
        "held_out": len(log_truth),
        "median_abs_pct_error": _r(np.median(np.abs(ratio - 1.0)) * 100),
        "r2_log_price": _r(1 - (residual**2).sum() / ((log_truth - log_truth.mean()) ** 2).sum()),
    }
