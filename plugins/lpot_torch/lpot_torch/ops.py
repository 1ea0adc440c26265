"""Naming the quantizable ops of an exported graph after the ``nn.Module`` they come from.

A graph node from a leaf module of the matching kind (``aten.conv2d`` from an
``nn.Conv2d``) is named by the module's path (``features.0``); other nodes (a functional
``x + y`` inside ``layer1.0``) by path and op (``layer1.0.add``, ``layer1.0.add_1``...).
Names depend only on the graph, so every copy of the same export names ops the same way.
"""

from __future__ import annotations

import torch
from torch.fx import Graph, Node

aten = torch.ops.aten

#: aten op -> (op type users see, module class name it comes from when it is a leaf).
OP_TYPES: dict[object, tuple[str, str]] = {
    aten.conv1d.default: ("Conv1d", "Conv1d"),
    aten.conv2d.default: ("Conv2d", "Conv2d"),
    aten.linear.default: ("Linear", "Linear"),
    aten.matmul.default: ("Matmul", ""),
    aten.max_pool2d.default: ("MaxPool2d", "MaxPool2d"),
    aten.avg_pool2d.default: ("AvgPool2d", "AvgPool2d"),
    aten.adaptive_avg_pool2d.default: ("AdaptiveAvgPool2d", "AdaptiveAvgPool2d"),
    aten.flatten.using_ints: ("Flatten", "Flatten"),
    aten.cat.default: ("Cat", ""),
    aten.add.Tensor: ("Add", ""),
    aten.add_.Tensor: ("Add", ""),
    aten.mul.Tensor: ("Mul", ""),
}

#: ops whose weight (input 1) is quantized along with the activation.
WEIGHTED = (aten.conv1d.default, aten.conv2d.default, aten.linear.default)


#: Largest weight (in x out features) of a Linear that runs slower in INT8 than in FP32:
#: oneDNN's INT8 linear has a fixed cost that a tiny matrix never earns back. Measured on
#: an AVX-512 VNNI CPU (compiled, 1 thread, a Linear between two INT8 Linears): 64x10,
#: 256x10, 64x64 were 9-15% faster left in FP32, 256x256 13% slower at batch 32; the
#: Fashion CNN's 64x10 head in FP32 made the whole INT8 model 4-5% faster.
SLOW_INT8_LINEAR_WEIGHTS = 4096


def slow_in_int8(node: Node | None) -> bool:
    """True for a Linear too small for INT8 to pay off (a classifier head: 64 -> 10)."""
    if node is None or node.target != aten.linear.default or len(node.args) < 2:
        return False
    weight = node.args[1].meta.get("val") if isinstance(node.args[1], Node) else None
    return weight is not None and weight.numel() <= SLOW_INT8_LINEAR_WEIGHTS


def module_of(node: Node) -> tuple[str, str]:
    """(path, class name) of the innermost module ``node`` was traced in; ('', '') if none."""
    stack = node.meta.get("nn_module_stack")
    if not stack:
        return "", ""
    path, cls = list(stack.values())[-1]
    cls_name = cls.__name__ if isinstance(cls, type) else str(cls).rsplit(".", 1)[-1]
    return str(path), cls_name


def short_name(node: Node) -> str:
    target = node.target
    name = getattr(target, "__name__", str(target))
    return name.split(".")[0].rstrip("_")


def name_ops(graph: Graph) -> dict[Node, tuple[str, str]]:
    """Every op-typed call node -> (op name, op type), unique names, in graph order."""
    named: dict[Node, tuple[str, str]] = {}
    taken: dict[str, int] = {}
    ops = [n for n in graph.nodes if n.op == "call_function" and n.target in OP_TYPES]
    per_module: dict[tuple[str, object], int] = {}
    for node in ops:
        key = (module_of(node)[0], node.target)
        per_module[key] = per_module.get(key, 0) + 1
    for node in ops:
        op_type, leaf_cls = OP_TYPES[node.target]
        path, cls = module_of(node)
        # The module is the op if it is that layer, or its only op of the kind (a
        # Conv2d subclass with its own forward, e.g. EfficientNet's same-padding conv).
        is_layer = leaf_cls in cls or per_module[(path, node.target)] == 1
        if leaf_cls and path and is_layer:
            base = path
        else:
            base = f"{path}.{short_name(node)}" if path else short_name(node)
        count = taken.get(base, 0)
        taken[base] = count + 1
        # A module called twice (weight sharing) gets ":1", ":2"...; functional ops "_1"...
        name = base if count == 0 else (f"{base}:{count}" if base == path else f"{base}_{count}")
        named[node] = (name, op_type)
    return named


def normalize_source_types(graph: Graph) -> None:
    """Make layers torchao's pattern matcher would miss look like standard layers.

    The x86 recipe finds convs, linears and activations by ``source_fn_stack`` type, exact
    match. A subclass overriding ``forward`` (``Conv2dStaticSamePadding(nn.Conv2d)``) gets
    its own type there or, in non-strict export, no entry at all: such layers would stay
    float. Missing entries are filled from the aten op, subclasses mapped to their base.
    """
    for node in graph.nodes:
        if node.op != "call_function":
            continue
        stack = node.meta.get("source_fn_stack")
        if not stack:
            layer = DEFAULT_SOURCE.get(node.target)
            if layer is not None:
                node.meta["source_fn_stack"] = [(f"lpot_{node.name}", layer)]
            continue
        name, fn = stack[-1]
        if not isinstance(fn, type) or fn in STANDARD_LAYERS:
            continue
        for base in STANDARD_LAYERS:
            if issubclass(fn, base):
                node.meta["source_fn_stack"] = [*stack[:-1], (name, base)]
                break


#: layer classes torchao's x86 recipe matches by source type (most specific first).
STANDARD_LAYERS: tuple[type, ...] = (
    torch.nn.Conv1d,
    torch.nn.Conv2d,
    torch.nn.Linear,
    torch.nn.ReLU6,
    torch.nn.Hardtanh,
    torch.nn.ReLU,
    torch.nn.Hardswish,
    torch.nn.SiLU,
    torch.nn.GELU,
    torch.nn.MaxPool2d,
    torch.nn.BatchNorm2d,
)
#: the layer an aten op stands for when export recorded no source for it.
DEFAULT_SOURCE: dict[object, type] = {
    aten.conv1d.default: torch.nn.Conv1d,
    aten.conv2d.default: torch.nn.Conv2d,
    aten.linear.default: torch.nn.Linear,
    aten.relu.default: torch.nn.ReLU,
    aten.hardtanh.default: torch.nn.Hardtanh,
    aten.hardswish.default: torch.nn.Hardswish,
    aten.silu.default: torch.nn.SiLU,
    aten.gelu.default: torch.nn.GELU,
}
