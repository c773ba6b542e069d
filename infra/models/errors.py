"""Typed failures of model loading: each names the model and what did not match."""

from __future__ import annotations


class ModelError(Exception):
    """Base of every model-registry failure; `code` is a stable name for logs and the CLI."""

    code = "MODEL_ERROR"

    def __init__(self, model: str, message: str) -> None:
        super().__init__(f"model {model!r}: {message}")
        self.model = model


class UnknownModelError(ModelError):
    code = "MODEL_UNKNOWN"


class ModelCardError(ModelError):
    """The card is missing, is not valid JSON or lacks a field."""

    code = "MODEL_CARD_INVALID"


class ModelHashMismatch(ModelError):
    """The .onnx file's SHA-256 is not the one its card records: altered or swapped file."""

    code = "MODEL_HASH_MISMATCH"

    def __init__(self, model: str, expected: str, actual: str) -> None:
        super().__init__(model, f"file SHA-256 {actual} differs from the card's {expected}")
        self.expected = expected
        self.actual = actual


class ModelSignatureMismatch(ModelError):
    """The session's inputs or outputs (names, dtypes, shapes) are not the card's."""

    code = "MODEL_SIGNATURE_MISMATCH"


class TrainingUnavailable(Exception):
    """`verachain models train` without the optional `train` extra installed."""

    code = "TRAIN_EXTRA_MISSING"
