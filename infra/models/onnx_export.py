"""Turning fitted scikit-learn models into ONNX bytes (needs the `train` extra; imported only
by the training code). The autoencoder is written by hand with onnx.helper so the graph holds
the standardisation and the reconstruction error: the caller feeds raw features and reads the
anomaly score, with no scaler or error code to keep in step outside the file."""

from __future__ import annotations

from typing import Any

import numpy as np

OPSET = 17


def classifier_onnx(pipeline: Any, feature_count: int, name: str) -> bytes:
    """A fitted (scaler, classifier) pipeline as ONNX: outputs `label` and `probabilities`."""
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType

    model = convert_sklearn(
        pipeline,
        # A fixed graph name: skl2onnx would draw a random one, and the bytes would differ.
        name=name,
        initial_types=[("features", FloatTensorType([None, feature_count]))],
        options={"zipmap": False},
        target_opset={"": OPSET, "ai.onnx.ml": 3},
    )
    return bytes(model.SerializeToString())


def regressor_onnx(regressor: Any, feature_count: int, name: str) -> bytes:
    """A fitted regressor as ONNX: output `variable`, shape [N, 1]."""
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType

    model = convert_sklearn(
        regressor,
        # A fixed graph name: skl2onnx would draw a random one, and the bytes would differ.
        name=name,
        initial_types=[("features", FloatTensorType([None, feature_count]))],
        target_opset={"": OPSET, "ai.onnx.ml": 3},
    )
    return bytes(model.SerializeToString())


def autoencoder_onnx(mean: Any, scale: Any, mlp: Any) -> bytes:
    """features -> z = (features - mean) / scale -> MLP -> `score` = mean((MLP(z) - z)^2)."""
    from onnx import TensorProto, helper, numpy_helper

    def const(name: str, value: Any) -> Any:
        return numpy_helper.from_array(np.asarray(value, dtype=np.float32), name)

    width = len(mean)
    initializers = [const("mean", mean), const("scale", scale)]
    nodes = [
        helper.make_node("Sub", ["features", "mean"], ["centred"]),
        helper.make_node("Div", ["centred", "scale"], ["z"]),
    ]
    current = "z"
    layers = len(mlp.coefs_)
    for i, (weights, bias) in enumerate(zip(mlp.coefs_, mlp.intercepts_, strict=True)):
        initializers += [const(f"w{i}", weights), const(f"b{i}", bias)]
        nodes += [
            helper.make_node("MatMul", [current, f"w{i}"], [f"m{i}"]),
            helper.make_node("Add", [f"m{i}", f"b{i}"], [f"a{i}"]),
        ]
        current = f"a{i}"
        if i < layers - 1:  # MLPRegressor's output layer is the identity
            assert mlp.activation == "tanh", "the graph below writes tanh hidden layers"
            nodes.append(helper.make_node("Tanh", [current], [f"h{i}"]))
            current = f"h{i}"
    nodes += [
        helper.make_node("Sub", [current, "z"], ["error"]),
        helper.make_node("Mul", ["error", "error"], ["squared"]),
        helper.make_node("ReduceMean", ["squared"], ["score"], axes=[1], keepdims=1),
    ]
    graph = helper.make_graph(
        nodes,
        "bid_anomaly_autoencoder",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, [None, width])],
        [helper.make_tensor_value_info("score", TensorProto.FLOAT, [None, 1])],
        initializers,
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="verachain"
    )
    model.ir_version = 8  # readable by any onnxruntime from 1.14 on
    return bytes(model.SerializeToString())
