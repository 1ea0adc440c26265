"""Constant folding for exported ONNX graphs, using only the ``onnx`` package.

The TorchScript exporter leaves chains such as ConstantOfShape -> Concat -> Slice ->
Transpose -> Cast feeding each ``Pad``; folding them leaves plain initializers, which
quantization tools and other importers handle much better.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import numpy_helper
from onnx.reference import ReferenceEvaluator

_NEVER_FOLD = {"Shape", "Size", "RandomNormal", "RandomUniform", "RandomNormalLike",
               "RandomUniformLike", "Multinomial", "Bernoulli"}  # fmt: skip


def fold_constants(model: onnx.ModelProto) -> onnx.ModelProto:
    """Return a copy of ``model`` where nodes with only constant inputs became initializers."""
    out = onnx.ModelProto()
    out.CopyFrom(model)
    graph = out.graph
    consts: dict[str, np.ndarray] = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    graph_inputs = {i.name for i in graph.input}
    opsets = {o.domain: o.version for o in out.opset_import}
    kept: list[onnx.NodeProto] = []
    for node in graph.node:
        foldable = (
            node.domain in ("", "ai.onnx")
            and node.op_type not in _NEVER_FOLD
            and all(i == "" or (i in consts and i not in graph_inputs) for i in node.input)
            and not any(
                a.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS)
                for a in node.attribute
            )
        )
        if foldable:
            values = _evaluate(node, consts, opsets)
            consts.update(zip(node.output, values, strict=True))
        else:
            kept.append(node)
    used = {i for n in kept for i in n.input} | {o.name for o in graph.output}
    del graph.node[:]
    graph.node.extend(kept)
    del graph.initializer[:]
    graph.initializer.extend(
        numpy_helper.from_array(np.asarray(v), k) for k, v in consts.items() if k in used
    )
    return out


def _evaluate(node: onnx.NodeProto, consts: dict[str, np.ndarray], opsets: dict[str, int]) -> list:
    inputs = [i for i in node.input if i]
    feeds = {f"in{k}": consts[i] for k, i in enumerate(inputs)}
    renamed = onnx.NodeProto()
    renamed.CopyFrom(node)
    mapping = dict(zip(inputs, feeds, strict=True))
    del renamed.input[:]
    renamed.input.extend(mapping.get(i, "") for i in node.input)
    graph = onnx.helper.make_graph(
        [renamed],
        "fold",
        [onnx.helper.make_tensor_value_info(n, onnx.TensorProto.UNDEFINED, None) for n in feeds],
        [
            onnx.helper.make_tensor_value_info(o, onnx.TensorProto.UNDEFINED, None)
            for o in node.output
        ],
    )
    model = onnx.helper.make_model(
        graph, opset_imports=[onnx.helper.make_opsetid(d, v) for d, v in opsets.items()]
    )
    return ReferenceEvaluator(model).run(None, feeds)
