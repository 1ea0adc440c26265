"""Float outputs of named ops, for FP32 and quantized models alike.

An op's output is its first output tensor in the FP32 graph. In a QDQ model that tensor
is still computed, and when ORT quantized it, the DequantizeLinear after its
QuantizeLinear gives the value the next op really sees (quantization error included). In
a QOperator model the tensor becomes ``<name>_quantized`` with ``<name>_scale`` and
``<name>_zero_point``; a DequantizeLinear is appended to read it back as float.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import onnx
from onnx import helper

from lpot_onnx.model import OnnxModel
from lpot_onnx.runtime import make_feeds, make_session

log = logging.getLogger(__name__)


def observable(model: OnnxModel, op_names: Sequence[str]) -> tuple[onnx.ModelProto, dict[str, str]]:
    """A copy of the model exposing a float output per op, and op name -> output name."""
    proto = onnx.ModelProto()
    proto.CopyFrom(model.proto)
    view = _GraphView(proto.graph)
    present = {o.name for o in proto.graph.output}
    mapping: dict[str, str] = {}
    for op in op_names:
        out = next((o for t in model.op_outputs.get(op, ()) if (o := view.float_view(t))), None)
        if out is None:
            log.debug("op %s: no float view of its output in the %s model", op, model.kind)
            continue
        mapping[op] = out
        if out not in present:
            proto.graph.output.append(
                helper.make_tensor_value_info(out, onnx.TensorProto.FLOAT, None)
            )
            present.add(out)
    return proto, mapping


class _GraphView:
    """Finds (or adds a DequantizeLinear for) the float value of an FP32 tensor name."""

    def __init__(self, graph: onnx.GraphProto) -> None:
        self.graph = graph
        self.tensors = {o for n in graph.node for o in n.output} | {i.name for i in graph.input}
        self.inits = {i.name for i in graph.initializer}
        self.producers = {o: n for n in graph.node for o in n.output}
        self.consumers: dict[str, list[onnx.NodeProto]] = {}
        for node in graph.node:
            for i in node.input:
                self.consumers.setdefault(i, []).append(node)

    def float_view(self, tensor: str) -> str | None:
        if tensor in self.tensors:
            for q in self.consumers.get(tensor, []):  # QDQ: read what the next op sees
                if q.op_type == "QuantizeLinear":
                    for dq in self.consumers.get(q.output[0], []):
                        if dq.op_type == "DequantizeLinear":
                            return dq.output[0]
            return tensor
        quantized = f"{tensor}_quantized"  # QOperator naming
        params = self._qparams(quantized) if quantized in self.tensors else None
        if params is None:
            return None
        out = f"{tensor}_lpot_dequantized"
        if out in self.tensors:
            return out
        self.graph.node.append(
            helper.make_node(
                "DequantizeLinear", [quantized, *params], [out], name=f"{tensor}_lpot_inspect"
            )
        )
        self.tensors.add(out)
        return out

    def _qparams(self, quantized: str, depth: int = 0) -> list[str] | None:
        """Scale (and zero point) of a QOperator tensor: its own, or for ops that pass
        quantized values through (MaxPool, Flatten, Reshape...) their input's."""
        base = quantized.removesuffix("_quantized")
        if f"{base}_scale" in self.inits:
            zp = f"{base}_zero_point"
            return [f"{base}_scale"] + ([zp] if zp in self.inits else [])
        producer = self.producers.get(quantized)
        if producer is None or depth > 8 or not producer.input:
            return None
        if producer.op_type in ("QuantizeLinear", "DynamicQuantizeLinear"):
            return list(producer.input[1:3]) or None
        source = producer.input[0]
        return self._qparams(source, depth + 1) if source.endswith("_quantized") else None


def inspect(
    model: OnnxModel,
    dataloader: Iterable[Any],
    op_names: Sequence[str],
    max_batches: int = 1,
    threads: int = 0,
) -> dict[str, np.ndarray]:
    """Float outputs of ``op_names`` over the first ``max_batches`` batches (concatenated)."""
    proto, mapping = observable(model, op_names)
    if not mapping:
        return {}
    session = make_session(proto.SerializeToString(), threads)
    names = list(dict.fromkeys(mapping.values()))
    collected: dict[str, list[np.ndarray]] = {n: [] for n in names}
    for index, (inputs, _labels) in enumerate(dataloader):
        if index >= max_batches:
            break
        for name, value in zip(names, session.run(names, make_feeds(session, inputs)), strict=True):
            collected[name].append(np.asarray(value, dtype=np.float32))
    return {
        op: np.concatenate(collected[out]) if collected[out] else np.empty(0, np.float32)
        for op, out in mapping.items()
    }
