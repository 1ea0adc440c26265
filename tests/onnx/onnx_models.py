"""Helpers for the ONNX backend tests: tiny hand-built graphs and a top-1 scorer."""

from __future__ import annotations

import numpy as np
import onnx
from lpot_onnx.adaptor import OnnxAdaptor
from onnx import TensorProto, helper, numpy_helper


def top1(adaptor: OnnxAdaptor, model, loader) -> float:
    hits = [np.argmax(adaptor.predict(model, x), 1) == y for x, y in loader]
    return float(np.mean(np.concatenate(hits)))


def small_conv_model(extra_op: str | None = None, opset: int = 17) -> onnx.ModelProto:
    """input[N,3,8,8] -> Conv -> Relu [-> extra_op] -> GlobalAveragePool -> Flatten -> Gemm.

    Random but fixed weights; ``extra_op`` (e.g. ``"Sin"``) is an op ORT cannot quantize.
    """
    rng = np.random.default_rng(0)
    inits = [
        numpy_helper.from_array(rng.normal(0, 0.3, (8, 3, 3, 3)).astype(np.float32), "w"),
        numpy_helper.from_array(rng.normal(0, 0.1, (8,)).astype(np.float32), "b"),
        numpy_helper.from_array(rng.normal(0, 0.3, (4, 8)).astype(np.float32), "fw"),
        numpy_helper.from_array(np.zeros(4, np.float32), "fb"),
    ]
    nodes = [
        helper.make_node("Conv", ["input", "w", "b"], ["c"], name="conv", pads=[1] * 4),
        helper.make_node("Relu", ["c"], ["r"]),
    ]  # unnamed on purpose
    last = "r"
    if extra_op:
        nodes.append(helper.make_node(extra_op, ["r"], ["e"], name="odd"))
        last = "e"
    nodes += [
        helper.make_node("GlobalAveragePool", [last], ["p"], name="pool"),
        helper.make_node("Flatten", ["p"], ["f"], name="flat"),
        helper.make_node("Gemm", ["f", "fw", "fb"], ["output"], name="fc", transB=1),
    ]
    graph = helper.make_graph(
        nodes,
        "small",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, 8, 8])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", 4])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model
