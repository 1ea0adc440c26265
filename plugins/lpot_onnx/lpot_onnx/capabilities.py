"""Which nodes ONNX Runtime can quantize, and the options lpot may tune for each.

The op types come from ORT's own registries (``onnxruntime.quantization.registry``), per
format: QDQ quantizes what ``quantize_static`` would (QDQ + QLinear registries), QOperator
the QLinear registry, dynamic the IntegerOps registry. Preferred options come first:
uint8 asymmetric minmax activations, int8 symmetric weights, per-channel for convolutions.
Convolutions whose INT8 kernel is slower than FP32 start in FP32 (:func:`slow_in_int8`).
"""

from __future__ import annotations

import logging

import onnx

from lpot_core.space import OpCapability, TensorOptions
from lpot_onnx.calibration import float_tensors

log = logging.getLogger(__name__)

ALGORITHMS = ("minmax", "kl", "percentile")
#: op type -> input index of its weight (quantized as a weight when it is an initializer).
WEIGHT_INPUT = {"Conv": 1, "ConvTranspose": 1, "Gemm": 1, "MatMul": 1}
_CONV = ("Conv", "ConvTranspose")
#: Largest reduction (input channels per group x kernel area) of a dense Conv that ORT's
#: static INT8 kernel runs slower than FP32: measured on Fashion-MNIST's and MNIST's first
#: conv (1 channel, 3x3: reduction 9), QLinearConv 1823 us vs the FP32 NCHWc conv 390 us.
#: At 16 INT8 already wins: EfficientNet-Lite0's 16-channel 1x1 expand conv left INT8
#: makes the model 1.86x/1.58x faster than FP32 (1/2 threads) instead of 1.55x/1.42x.
SLOW_INT8_REDUCTION = 9


def op_types(fmt: str) -> set[str]:
    """Op types ORT quantizes in format ``fmt`` (qdq, qoperator, integerops)."""
    from onnxruntime.quantization.registry import (
        IntegerOpsRegistry,
        QDQRegistry,
        QLinearOpsRegistry,
    )

    if fmt == "integerops":  # ORT rewrites plain Gemms as MatMul + Add, then quantizes them
        return set(IntegerOpsRegistry) | {"Gemm"}
    if fmt == "qoperator":
        return set(QLinearOpsRegistry)
    return set(QLinearOpsRegistry) | set(QDQRegistry)  # what quantize_static uses for QDQ


def quantizable_nodes(proto: onnx.ModelProto, fmt: str) -> list[onnx.NodeProto]:
    """Nodes ORT would quantize in ``fmt``, in graph order: registered op type, default or
    Microsoft domain, and at least one float activation input."""
    types = op_types(fmt)
    floats = float_tensors(proto)
    inits = {i.name for i in proto.graph.initializer}
    nodes = []
    skipped: dict[str, int] = {}
    for node in proto.graph.node:
        if node.op_type not in types or node.domain not in ("", "ai.onnx", "com.microsoft"):
            skipped[node.op_type] = skipped.get(node.op_type, 0) + 1
            continue
        if not any(i in floats for i in node.input if i and i not in inits):
            skipped[node.op_type] = skipped.get(node.op_type, 0) + 1
            continue
        if (
            fmt == "integerops"
            and node.op_type in ("MatMul", "Gemm")
            and (len(node.input) < 2 or node.input[1] not in inits or not _plain_gemm(node))
        ):
            continue  # dynamic: constant weights only (MatMulConstBOnly), Gemm as MatMul
        nodes.append(node)
    if skipped:
        log.debug("ops ONNX Runtime does not quantize in %s format (left FP32): %s", fmt, skipped)
    return nodes


def _plain_gemm(node: onnx.NodeProto) -> bool:
    """A Gemm ORT's dynamic quantizer turns into MatMul (+ Add); MatMul always passes."""
    attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
    return node.op_type != "Gemm" or (
        attrs.get("alpha", 1.0) == 1.0
        and attrs.get("beta", 1.0) == 1.0
        and not attrs.get("transA", 0)
    )


def weight_name(node: onnx.NodeProto, inits: set[str]) -> str | None:
    """The node's weight initializer, if it has one."""
    index = WEIGHT_INPUT.get(node.op_type)
    if index is None or len(node.input) <= index or node.input[index] not in inits:
        return None
    return node.input[index]


def weight_axis(node: onnx.NodeProto, weight: onnx.TensorProto) -> int | None:
    """Output-channel axis of a node's weight, or None when per-channel makes no sense."""
    if node.op_type == "Conv":
        return 0
    if node.op_type == "ConvTranspose":
        return 1
    if len(weight.dims) != 2:
        return None
    if node.op_type == "Gemm":
        trans_b = next((a.i for a in node.attribute if a.name == "transB"), 0)
        return 0 if trans_b else 1
    return 1  # MatMul with a 2-D weight: columns are output channels


def capabilities(proto: onnx.ModelProto, fmt: str) -> list[OpCapability]:
    """One :class:`OpCapability` per quantizable node of ``proto`` for format ``fmt``."""
    inits = {i.name: i for i in proto.graph.initializer}
    caps = []
    for node in quantizable_nodes(proto, fmt):
        caps.append(
            OpCapability(
                name=node.name,
                type=node.op_type,
                activation=_activation_options(fmt),
                weight=_weight_options(node, fmt, inits),
                prefer_fp32=fmt != "integerops" and slow_in_int8(node, inits),
            )
        )
    slow = [c.name for c in caps if c.prefer_fp32]
    if slow:
        log.info("starting in FP32 (INT8 kernel slower for their shape): %s", slow)
    return caps


def slow_in_int8(node: onnx.NodeProto, inits: dict[str, onnx.TensorProto]) -> bool:
    """A dense (group 1) Conv with a tiny reduction, like a first conv on 1-channel images:
    the INT8 kernel's packing overhead outweighs its arithmetic. Depthwise convs and
    3-channel stems (reduction 27) are as fast or faster in INT8, so they stay quantized."""
    if node.op_type != "Conv":
        return False
    weight = inits.get(weight_name(node, set(inits)) or "")
    group = next((a.i for a in node.attribute if a.name == "group"), 1)
    if weight is None or group != 1 or len(weight.dims) < 3:
        return False
    reduction = 1
    for dim in weight.dims[1:]:
        reduction *= dim
    return reduction <= SLOW_INT8_REDUCTION


def _activation_options(fmt: str) -> TensorOptions:
    if fmt == "integerops":  # computed at run time from each batch: nothing to tune
        return TensorOptions(dtype=("uint8",), scheme=("asym",), algorithm=("minmax",))
    if fmt == "qoperator":  # QLinear kernels want one activation type model-wide
        return TensorOptions(dtype=("uint8",), scheme=("asym", "sym"), algorithm=ALGORITHMS)
    return TensorOptions(dtype=("uint8", "int8"), scheme=("asym", "sym"), algorithm=ALGORITHMS)


def _weight_options(
    node: onnx.NodeProto, fmt: str, inits: dict[str, onnx.TensorProto]
) -> TensorOptions | None:
    name = weight_name(node, set(inits))
    if name is None:
        return None
    axis = weight_axis(node, inits[name])
    if fmt == "integerops" and node.op_type in _CONV:
        granularity: tuple[str, ...] = ("per_tensor",)  # ConvInteger has no per-channel form
    elif axis is None:
        granularity = ("per_tensor",)
    elif node.op_type in _CONV:
        granularity = ("per_channel", "per_tensor")
    else:
        granularity = ("per_tensor", "per_channel")
    return TensorOptions(
        dtype=("int8",), scheme=("sym",), granularity=granularity, algorithm=("minmax",)
    )
