"""A tiny run of `verachain models train` (only with the train extra installed): the models
it writes load through the registry, and a second run writes the same bytes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from infra.models.registry import available_models, load_model

pytest.importorskip("sklearn", reason="training needs the train extra (pip install -e '.[train]')")
pytest.importorskip("skl2onnx", reason="training needs the train extra")


def test_a_tiny_training_run_writes_loadable_byte_identical_models(tmp_path: Path) -> None:
    from infra.models.training import TrainingSizes, train_all

    first, second = tmp_path / "first", tmp_path / "second"
    train_all(first, TrainingSizes.tiny(), say=lambda _line: None)
    train_all(second, TrainingSizes.tiny(), say=lambda _line: None)
    assert available_models(first) == [
        "authenticity",
        "bid_anomaly",
        "price_estimate",
        "quality_grade",
    ]
    for name in available_models(first):
        assert load_model(name, first).sha256 == load_model(name, second).sha256
    for path in sorted(first.iterdir()):
        assert path.read_bytes() == (second / path.name).read_bytes(), path.name


def test_the_hand_written_autoencoder_graph_matches_scikit_learn() -> None:
    from sklearn.neural_network import MLPRegressor

    from infra.models.onnx_export import autoencoder_onnx
    from infra.models.registry import open_session

    rng = np.random.default_rng(3)
    x = rng.normal(5.0, 2.0, (200, 4)).astype(np.float32)
    mean, scale = x.mean(axis=0), x.std(axis=0)
    z = (x - mean) / scale
    mlp = MLPRegressor(hidden_layer_sizes=(6, 2, 6), activation="tanh", max_iter=2000)
    mlp.fit(z, z)
    expected = ((mlp.predict(z) - z) ** 2).mean(axis=1)
    session = open_session(autoencoder_onnx(mean, scale, mlp))
    (score,) = session.run(None, {"features": x})
    np.testing.assert_allclose(score[:, 0], expected, rtol=1e-4, atol=1e-5)
