"""Build a quantized model for one tune config with ORT's own quantizer classes.

Static QDQ uses ``QDQQuantizer`` and QOperator ``ONNXQuantizer``, both fed the ranges
derived from the calibration stats (``tensors_range``), so a trial never re-runs
calibration. Per-op choices map onto ORT options: FP32 ops go to ``nodes_to_exclude``;
each activation tensor gets a ``TensorQuantOverrides`` entry (dtype, symmetry) from the op
that consumes it (else produces it); per-channel weights get an ``axis`` override (QDQ) or
the per-tensor ones are routed around ORT's global per-channel switch (QOperator, dynamic).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping

import numpy as np
import onnx
from onnxruntime.quantization.calibrate import CalibrationMethod, TensorData, TensorsData
from onnxruntime.quantization.onnx_quantizer import ONNXQuantizer
from onnxruntime.quantization.qdq_quantizer import QDQQuantizer
from onnxruntime.quantization.quant_utils import QuantizationMode, QuantType, update_opset_version

from lpot_core.errors import ModelError
from lpot_core.space import OpChoice, TuneConfig
from lpot_onnx.calibration import CalibrationStats, float_tensors
from lpot_onnx.capabilities import weight_axis, weight_name
from lpot_onnx.model import OnnxModel, name_nodes

log = logging.getLogger(__name__)

_QTYPES = {"uint8": QuantType.QUInt8, "int8": QuantType.QInt8}


class _PerOpChannelQuantizer(ONNXQuantizer):
    """ONNXQuantizer with per-channel chosen per weight instead of model-wide.

    ORT's QOperator/dynamic kernels ask one global ``is_per_channel()``; we set it on and
    quantize the weights listed in ``per_tensor_weights`` per tensor instead.
    """

    per_tensor_weights: frozenset[str] = frozenset()

    def quantize_weight_per_channel(
        self, weight_name, weight_qType, channel_axis, reduce_range=True, keep_float_weight=False
    ):
        source = weight_name.split("_Transposed")[0]  # dynamic Gemm -> MatMul transposes B
        if weight_name in self.per_tensor_weights or source in self.per_tensor_weights:
            init = next(i for i in self.model.initializer() if i.name == weight_name)
            return self.quantize_initializer(init, weight_qType, reduce_range, keep_float_weight)
        return super().quantize_weight_per_channel(
            weight_name, weight_qType, channel_axis, reduce_range, keep_float_weight
        )


def quantize(
    model: OnnxModel,
    cfg: TuneConfig,
    stats: CalibrationStats | None,
    *,
    fmt: str,
    reduce_range: bool,
) -> OnnxModel:
    """A new :class:`OnnxModel` quantized per ``cfg`` in format ``fmt`` (qdq, qoperator,
    integerops). Ops ORT declines to quantize are logged and stay FP32."""
    proto = onnx.ModelProto()
    proto.CopyFrom(model.proto)  # ORT's quantizers edit the model in place
    nodes = {n.name: n for n in proto.graph.node}
    unknown = [name for name in cfg.ops if name not in nodes]
    if unknown:
        log.warning("tune config names ops the model lacks (ignored): %s", unknown[:5])
    chosen = {name: c for name, c in cfg.ops.items() if name in nodes}
    quantized = [n for n, c in chosen.items() if not c.is_fp32]
    excluded = [n for n, c in chosen.items() if c.is_fp32]
    if not quantized:
        return OnnxModel(proto, kind=model.kind, op_outputs=model.op_outputs)
    inits = {i.name: i for i in proto.graph.initializer}
    act_overrides = _activation_overrides(proto, chosen)
    act_types = Counter(c.activation.dtype for c in chosen.values() if not c.is_fp32)
    default_act = (
        _QTYPES[act_types.most_common(1)[0][0]] if fmt != "integerops" else QuantType.QUInt8
    )
    weight_overrides: dict[str, list[dict]] = {}
    per_tensor_weights: set[str] = set()
    for name in quantized:
        node, choice = nodes[name], chosen[name]
        w = weight_name(node, set(inits))
        if w is None or choice.weight is None:
            continue
        axis = weight_axis(node, inits[w])
        if choice.weight.granularity == "per_channel" and axis is not None:
            weight_overrides.setdefault(w, [{"axis": axis}])
        else:
            per_tensor_weights.add(w)
    op_types = sorted({nodes[n].op_type for n in quantized})
    # ORT drops a Relu/Clip after a quantized op unless activations are symmetric: right for
    # asymmetric ranges (zero point at the minimum clamps like the Relu), wrong for symmetric
    # ones, whose negative half would pass through. Per-tensor schemes come from overrides.
    any_sym = any(chosen[n].activation.scheme == "sym" for n in quantized)
    extra = {"WeightSymmetric": True, "ActivationSymmetric": any_sym}
    try:
        proto = update_opset_version(proto, QuantType.QInt8, default_act)
        if fmt == "qdq":
            extra["TensorQuantOverrides"] = {**act_overrides, **weight_overrides}
            ranges = _tensor_ranges(proto, chosen, stats)
            quantizer = QDQQuantizer(
                proto,
                False,
                reduce_range,
                QuantType.QInt8,
                default_act,
                ranges,
                quantized,
                excluded,
                op_types,
                extra,
            )
        else:
            static = fmt == "qoperator"
            if static:
                extra["TensorQuantOverrides"] = act_overrides
            else:
                extra["MatMulConstBOnly"] = True
                quantized = quantized + [
                    f"{n}_MatMul" for n in quantized if nodes[n].op_type == "Gemm"
                ]
                op_types = sorted(set(op_types) | ({"MatMul"} if "Gemm" in op_types else set()))
            mode = QuantizationMode.QLinearOps if static else QuantizationMode.IntegerOps
            ranges = _tensor_ranges(proto, chosen, stats) if static else None
            quantizer = _PerOpChannelQuantizer(
                proto,
                True,
                reduce_range,
                mode,
                static,
                QuantType.QInt8,
                default_act,
                ranges,
                quantized,
                excluded,
                op_types,
                extra,
            )
            quantizer.per_tensor_weights = frozenset(per_tensor_weights)
        quantizer.quantize_model()
        quantizer.model.topological_sort()
        result = quantizer.model.model
    except ModelError:
        raise
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise ModelError(
            f"ONNX Runtime could not quantize the model ({type(exc).__name__}: "
            f"{first}); fall the failing op back to FP32 or report it"
        ) from exc
    name_nodes(result)
    declined = _report_unquantized(result, [n for n in chosen if not chosen[n].is_fp32], nodes, fmt)
    return OnnxModel(result, kind=fmt, op_outputs=model.op_outputs, declined=declined)


def _tensor_owners(
    proto: onnx.ModelProto, chosen: Mapping[str, OpChoice], consumers_only: bool = False
) -> dict[str, OpChoice]:
    """Activation tensor -> the choice that decides its quantization: its first quantized
    consumer (the kernel that reads it), else (unless ``consumers_only``) its producer."""
    floats = float_tensors(proto)
    owners: dict[str, OpChoice] = {}
    quantized = [n for n in proto.graph.node if n.name in chosen and not chosen[n.name].is_fp32]
    for node in quantized:
        for t in node.input:
            if t in floats:
                owners.setdefault(t, chosen[node.name])
    if not consumers_only:
        for node in quantized:
            for t in node.output:
                if t in floats:
                    owners.setdefault(t, chosen[node.name])
    return owners


def _activation_overrides(
    proto: onnx.ModelProto, chosen: Mapping[str, OpChoice]
) -> dict[str, list[dict]]:
    return {
        t: [{"quant_type": _QTYPES[c.activation.dtype], "symmetric": c.activation.scheme == "sym"}]
        for t, c in _tensor_owners(proto, chosen).items()
    }


def _tensor_ranges(
    proto: onnx.ModelProto, chosen: Mapping[str, OpChoice], stats: CalibrationStats | None
) -> TensorsData:
    """Each calibrated tensor's range under the algorithm of the op that reads it; tensors no
    quantized op reads (model outputs such as logits) keep minmax: clipping them changes
    results directly, with no later op to absorb it."""
    if stats is None or not stats.tensors:
        raise ModelError(
            "static quantization needs calibration statistics; call calibrate() "
            "first or use approach 'dynamic'"
        )
    owners = _tensor_owners(proto, chosen, consumers_only=True)
    data = {}
    for tensor in stats.tensors:
        owner = owners.get(tensor)
        algorithm = owner.activation.algorithm if owner is not None else "minmax"
        lo, hi = stats.range(tensor, algorithm)
        data[tensor] = TensorData(lowest=np.float32(lo), highest=np.float32(hi))
    return TensorsData(CalibrationMethod.MinMax, data)


def _report_unquantized(
    result: onnx.ModelProto, wanted: list[str], original: Mapping[str, onnx.NodeProto], fmt: str
) -> tuple[str, ...]:
    """Log and return the ops the config asked to quantize that ORT left in FP32."""
    producers = {o: n for n in result.graph.node for o in n.output}
    by_name = {n.name: n for n in result.graph.node}
    left = []
    for name in wanted:
        node = by_name.get(name)
        if node is None or node.op_type != original[name].op_type:
            continue  # replaced by a quantized kernel (QOperator, dynamic)
        if fmt == "qdq" and any(
            producers.get(i) is not None and producers[i].op_type == "DequantizeLinear"
            for i in node.input
        ):
            continue
        if fmt != "qdq" and any(i.endswith("_quantized") for i in node.input):
            continue  # QOperator ops that run on quantized values keep name and type
        left.append(name)
    if left:
        shown = ", ".join(f"{n} ({by_name[n].op_type})" for n in left[:10])
        log.info("ONNX Runtime left %d op(s) in FP32: %s", len(left), shown)
    return tuple(left)
