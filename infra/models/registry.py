"""Load a committed model by name: check its file against the card's SHA-256, open one
onnxruntime session on one thread, and check the session's signature against the card."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from infra.models.card import ModelCard, TensorSpec
from infra.models.errors import ModelHashMismatch, ModelSignatureMismatch, UnknownModelError

# The models shipped with the package; a deployment may point load_model at its own directory.
MODELS_DIR = Path(__file__).resolve().parent / "files"

# onnxruntime's names for the element types the cards use.
_ORT_DTYPES = {"tensor(float)": "float32", "tensor(double)": "float64", "tensor(int64)": "int64"}


def card_path(directory: Path, name: str) -> Path:
    return directory / f"{name}.card.json"


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def available_models(directory: Path = MODELS_DIR) -> list[str]:
    return sorted(p.name.removesuffix(".card.json") for p in directory.glob("*.card.json"))


@dataclass(frozen=True)
class LoadedModel:
    """A verified model: its card (name, version, sha256, signature) and a ready session."""

    card: ModelCard
    session: Any  # onnxruntime.InferenceSession (untyped library)

    @property
    def name(self) -> str:
        return self.card.name

    @property
    def version(self) -> str:
        return self.card.version

    @property
    def sha256(self) -> str:
        return self.card.sha256

    def run(self, inputs: npt.NDArray[np.float32]) -> list[npt.NDArray[Any]]:
        """Score a batch (rows = inputs) through the model's single input; every output."""
        outputs: list[npt.NDArray[Any]] = self.session.run(None, {self.card.inputs[0].name: inputs})
        return outputs


def load_model(name: str, directory: Path = MODELS_DIR) -> LoadedModel:
    """The model `name` from `directory`, or a typed ModelError saying what does not match."""
    if not card_path(directory, name).exists():
        known = ", ".join(available_models(directory)) or "none"
        raise UnknownModelError(name, f"no such model in {directory} (known: {known})")
    card = ModelCard.read(card_path(directory, name), name)
    model_file = directory / card.file
    if not model_file.exists():
        raise UnknownModelError(name, f"the card names {model_file}, which does not exist")
    # Hash the bytes we then hand to onnxruntime, so the checked file is the loaded one.
    data = model_file.read_bytes()
    actual = hashlib.sha256(data).hexdigest()
    if actual != card.sha256:
        raise ModelHashMismatch(name, card.sha256, actual)
    session = open_session(data)
    _check_signature(card, session)
    return LoadedModel(card=card, session=session)


def open_session(model_bytes: bytes) -> Any:
    """One intra-op and one inter-op thread: the platform scales scoring with processes, and
    a single small model gains nothing from a thread pool but contention."""
    import onnxruntime as ort  # here, not at module top: importing it costs ~0.3 s

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3  # errors only: the converters' graphs trigger info chatter
    return ort.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])


def session_signature(session: Any) -> tuple[tuple[TensorSpec, ...], tuple[TensorSpec, ...]]:
    def spec(arg: Any) -> TensorSpec:
        return TensorSpec(
            name=arg.name,
            dtype=_ORT_DTYPES.get(arg.type, arg.type),
            shape=tuple(d if isinstance(d, int) else None for d in arg.shape),
        )

    return (
        tuple(spec(a) for a in session.get_inputs()),
        tuple(spec(a) for a in session.get_outputs()),
    )


def _check_signature(card: ModelCard, session: Any) -> None:
    inputs, outputs = session_signature(session)
    for kind, declared, actual in (
        ("inputs", card.inputs, inputs),
        ("outputs", card.outputs, outputs),
    ):
        if declared != actual:
            raise ModelSignatureMismatch(
                card.name,
                f"{kind} are {[s.as_json() for s in actual]}, "
                f"the card declares {[s.as_json() for s in declared]}",
            )
