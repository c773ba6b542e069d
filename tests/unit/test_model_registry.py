"""The registry loads each committed model only when its file's hash and its session's
signature are the card's, and says precisely which check failed otherwise."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from infra.models.errors import (
    ModelCardError,
    ModelHashMismatch,
    ModelSignatureMismatch,
    UnknownModelError,
)
from infra.models.registry import MODELS_DIR, available_models, file_sha256, load_model

SHIPPED = ("authenticity", "bid_anomaly", "price_estimate", "quality_grade")


def test_the_four_models_ship_with_cards() -> None:
    assert tuple(available_models()) == SHIPPED


@pytest.mark.parametrize("name", SHIPPED)
def test_each_committed_model_loads_with_its_cards_identity(name: str) -> None:
    model = load_model(name)
    assert model.name == name
    assert model.version
    assert model.sha256 == file_sha256(MODELS_DIR / f"{name}.onnx")
    card = model.card
    assert "synthetic" in card.trained_on.lower()
    assert card.metrics
    assert card.intended_use
    assert card.limitations
    # One intra-op thread: the platform scales scoring with processes.
    assert model.session.get_session_options().intra_op_num_threads == 1


@pytest.fixture
def models_copy(tmp_path: Path) -> Path:
    directory = tmp_path / "models"
    shutil.copytree(MODELS_DIR, directory)
    return directory


def test_a_flipped_byte_in_the_file_is_refused_by_hash(models_copy: Path) -> None:
    path = models_copy / "bid_anomaly.onnx"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(ModelHashMismatch) as caught:
        load_model("bid_anomaly", models_copy)
    assert caught.value.actual == file_sha256(path)
    assert caught.value.expected == load_model("bid_anomaly").sha256
    assert caught.value.code == "MODEL_HASH_MISMATCH"


def test_a_card_declaring_a_wrong_shape_is_refused_by_signature(models_copy: Path) -> None:
    card_file = models_copy / "price_estimate.card.json"
    card = json.loads(card_file.read_text())
    card["inputs"][0]["shape"] = [None, 5]
    card_file.write_text(json.dumps(card))
    with pytest.raises(ModelSignatureMismatch, match=r"inputs are .*the card declares"):
        load_model("price_estimate", models_copy)


def test_a_card_naming_a_wrong_output_is_refused(models_copy: Path) -> None:
    card_file = models_copy / "bid_anomaly.card.json"
    card = json.loads(card_file.read_text())
    card["outputs"][0]["name"] = "reconstruction"
    card_file.write_text(json.dumps(card))
    with pytest.raises(ModelSignatureMismatch, match="outputs"):
        load_model("bid_anomaly", models_copy)


def test_an_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(UnknownModelError, match="known: authenticity, bid_anomaly"):
        load_model("ocr")


def test_a_broken_card_is_a_card_error(models_copy: Path) -> None:
    (models_copy / "authenticity.card.json").write_text("{not json")
    with pytest.raises(ModelCardError):
        load_model("authenticity", models_copy)
