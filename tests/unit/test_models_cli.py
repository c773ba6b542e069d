"""`verachain models list`, `models train` without the train extra, `bench models`."""

from __future__ import annotations

import sys

import pytest
from click.testing import CliRunner

from infra.bench.models_bench import run_models_bench
from infra.cli.models_command import models
from infra.models.errors import TrainingUnavailable
from infra.models.training import require_train_extra


def test_models_list_prints_each_verified_model() -> None:
    result = CliRunner().invoke(models, ["list"])
    assert result.exit_code == 0, result.output
    names = [line.split("\t")[0] for line in result.output.splitlines()]
    assert names == ["authenticity", "bid_anomaly", "price_estimate", "quality_grade"]


def test_training_without_the_extra_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sklearn", None)  # `import sklearn` now raises ImportError
    with pytest.raises(TrainingUnavailable, match=r"pip install 'verachain\[train\]'"):
        require_train_extra()
    result = CliRunner().invoke(models, ["train", "--out", "unused"])
    assert result.exit_code == 2
    assert "train extra" in result.output


def test_bench_models_reports_every_model_against_its_target() -> None:
    summary = run_models_bench(tabular_calls=100, image_calls=5)
    assert set(summary["models"]) == {
        "authenticity (model only)",
        "quality_grade (model only)",
        "bid_anomaly",
        "price_estimate",
        "image pipeline (1024x1024 JPEG)",
    }
    for figures in summary["models"].values():
        assert 0 < figures["p50_ms"] <= figures["p99_ms"]
        assert figures["met"] == (figures["p99_ms"] <= figures["target_p99_ms"])
