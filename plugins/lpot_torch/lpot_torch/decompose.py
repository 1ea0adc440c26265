"""Rewriting a converted PT2E graph into the aten forms inductor's INT8 fusion patterns match.

inductor's freezing patterns (dequantize -> conv/linear -> quantize => one oneDNN kernel)
are written for the graph AOT autograd produces: ``aten.convolution``, ``permute + addmm``
(with ``reshape`` around it for inputs of more than two dims) and ``reshape`` instead of
``view``. Re-exporting the converted graph with ``run_decompositions`` produces that, but
costs seconds per trial on a transformer (a full re-trace); the few rewrites the patterns
need are done here directly on a copy of the graph, in well under a second.
"""

from __future__ import annotations

import copy
import warnings
from typing import Any

import torch
from torch.fx import GraphModule, Node

aten = torch.ops.aten


def _static_tail(node: Node) -> list[int] | None:
    """The sizes of every dim but the first, if they are all plain ints."""
    val = node.meta.get("val")
    if not isinstance(val, torch.Tensor):
        return None
    tail = list(val.shape[1:])
    return [int(s) for s in tail] if all(isinstance(s, int) for s in tail) else None


def _linear(graph: Any, node: Node) -> bool:
    """``linear(x, w, b)`` -> ``[reshape] addmm(b, x, permute(w)) [reshape]``."""
    x, w = node.args[0], node.args[1]
    b = node.args[2] if len(node.args) > 2 else None
    if not isinstance(x, Node) or not isinstance(w, Node) or not isinstance(b, Node | None):
        return False
    x_val, out_tail = x.meta.get("val"), _static_tail(node)
    if not isinstance(x_val, torch.Tensor) or out_tail is None or x_val.dim() < 2:
        return False
    k = x_val.shape[-1]
    if not isinstance(k, int) or (x_val.dim() > 2 and _static_tail(x) is None):
        return False
    with graph.inserting_before(node):
        wt = graph.call_function(aten.permute.default, (w, [1, 0]))
        flat = x if x_val.dim() == 2 else graph.call_function(aten.reshape.default, (x, [-1, k]))
        if b is None:
            out = graph.call_function(aten.mm.default, (flat, wt))
        else:
            out = graph.call_function(aten.addmm.default, (b, flat, wt))
        if x_val.dim() > 2:
            out = graph.call_function(aten.reshape.default, (out, [-1, *out_tail]))
    node.replace_all_uses_with(out)
    graph.erase_node(node)
    return True


def _conv(graph: Any, node: Node) -> bool:
    """``conv1d/conv2d`` (int padding) -> ``aten.convolution``."""
    args = list(node.args) + [None] * (7 - len(node.args))
    x, w, b, stride, padding, dilation, groups = args
    nd = 1 if node.target == aten.conv1d.default else 2
    stride = stride if stride is not None else [1] * nd
    padding = padding if padding is not None else [0] * nd
    dilation = dilation if dilation is not None else [1] * nd
    groups = groups if groups is not None else 1
    if isinstance(padding, str):
        return False
    with graph.inserting_before(node):
        out = graph.call_function(
            aten.convolution.default,
            (x, w, b, stride, padding, dilation, False, [0] * nd, groups),
        )
    out.meta = dict(node.meta)
    node.replace_all_uses_with(out)
    graph.erase_node(node)
    return True


def for_fusion(reference: GraphModule) -> GraphModule | None:
    """A copy of ``reference`` rewritten for inductor's INT8 patterns, or None if some
    linear/conv could not be rewritten (then re-export with decompositions instead)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        gm = copy.deepcopy(reference)
    graph = gm.graph
    for node in list(graph.nodes):
        if node.op != "call_function":
            continue
        if node.target == aten.linear.default:
            if not _linear(graph, node):
                return None
        elif node.target in (aten.conv1d.default, aten.conv2d.default):
            if not _conv(graph, node):
                return None
        elif node.target in (aten.view.default, aten._unsafe_view.default):
            node.target = aten.reshape.default
        elif node.target in (aten.conv2d.padding, aten.conv1d.padding):
            return None
    graph.eliminate_dead_code()
    gm.recompile()
    return gm


def fill_tensor_meta(gm: GraphModule) -> None:
    """Give every node with a ``val`` a ``tensor_meta`` too: the INT8 linear pattern reads
    the input's shape from it, and graphs loaded from ``.pt2`` carry only ``val``."""
    from torch.fx.passes.shape_prop import _extract_tensor_metadata

    for node in gm.graph.nodes:
        val = node.meta.get("val")
        if node.meta.get("tensor_meta") is None and isinstance(val, torch.Tensor):
            node.meta["tensor_meta"] = _extract_tensor_metadata(val)
