"""Model cards: one JSON file beside each .onnx file, the registry's source of truth for the
file's hash and signature, and the human account of what the model is (and is not) for."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra.models.errors import ModelCardError


@dataclass(frozen=True)
class TensorSpec:
    """One input or output: `shape` uses None for a dynamic (batch) dimension."""

    name: str
    dtype: str  # numpy-style name: "float32", "int64"
    shape: tuple[int | None, ...]

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype, "shape": list(self.shape)}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> TensorSpec:
        return cls(
            name=str(raw["name"]),
            dtype=str(raw["dtype"]),
            shape=tuple(None if d is None else int(d) for d in raw["shape"]),
        )


@dataclass(frozen=True)
class ModelCard:
    name: str
    version: str
    file: str  # the .onnx file's name, in the card's directory
    sha256: str
    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]
    trained_on: str
    intended_use: str
    limitations: str
    metrics: dict[str, Any] = field(default_factory=dict)
    # Model-specific facts the scoring code needs: feature names, class labels, threshold.
    parameters: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "file": self.file,
            "sha256": self.sha256,
            "inputs": [spec.as_json() for spec in self.inputs],
            "outputs": [spec.as_json() for spec in self.outputs],
            "trained_on": self.trained_on,
            "intended_use": self.intended_use,
            "limitations": self.limitations,
            "metrics": self.metrics,
            "parameters": self.parameters,
        }

    def write(self, path: Path) -> None:
        # Sorted keys and a trailing newline: retraining rewrites the card byte for byte.
        path.write_text(json.dumps(self.as_json(), indent=2, sort_keys=True) + "\n", "utf8")

    @classmethod
    def read(cls, path: Path, name: str) -> ModelCard:
        try:
            raw = json.loads(path.read_text("utf8"))
            return cls(
                name=str(raw["name"]),
                version=str(raw["version"]),
                file=str(raw["file"]),
                sha256=str(raw["sha256"]).lower(),
                inputs=tuple(TensorSpec.from_json(s) for s in raw["inputs"]),
                outputs=tuple(TensorSpec.from_json(s) for s in raw["outputs"]),
                trained_on=str(raw["trained_on"]),
                intended_use=str(raw["intended_use"]),
                limitations=str(raw["limitations"]),
                metrics=dict(raw.get("metrics", {})),
                parameters=dict(raw.get("parameters", {})),
            )
        except FileNotFoundError as e:
            raise ModelCardError(name, f"no card at {path}") from e
        except (ValueError, KeyError, TypeError) as e:
            raise ModelCardError(name, f"unreadable card {path}: {e!r}") from e
