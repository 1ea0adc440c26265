"""Running models fast: lowering a quantized graph to oneDNN INT8 kernels, and compiling.

An unlowered reference graph runs quantize/dequantize in fp32 and is ~3x slower than
FP32 (DESIGN §6). :func:`lower` swaps in oneDNN INT8 ops without code generation (about a
second; exact same numbers as the reference graph); :func:`compile_module` runs inductor
with freezing (tens of seconds; the fastest form, used for latency).
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

import torch
from torch.fx import GraphModule

from lpot_torch.capture import export
from lpot_torch.decompose import fill_tensor_meta, for_fusion
from lpot_torch.inputs import CallArgs

log = logging.getLogger(__name__)
aten = torch.ops.aten


def _cia_decompositions() -> dict[Any, Any]:
    """Only composite-implicit decompositions: keep aten ops the fusion patterns match."""
    table = torch.export.default_decompositions()
    for op in list(table.keys()):
        if not torch._export.utils._is_cia_op(op):
            del table[op]
    return table


def lower(reference: GraphModule, example: CallArgs) -> GraphModule:
    """A GraphModule running ``reference`` with oneDNN INT8 kernels, batch size dynamic.

    torchao's ``lower_pt2e_quantized_to_x86`` does the same but exports with a static batch
    and leaves ``view`` ops that fail on the channels-last outputs of the fused kernels.
    The graph is rewritten into the forms the fusion patterns match by
    :func:`lpot_torch.decompose.for_fusion` (a re-export is the fallback: seconds slower per
    trial on a transformer). Only inductor's freezing passes run here (dequant + conv/linear
    become oneDNN INT8 kernels); the activation and requantize fusions (conv + ReLU6 + quant)
    come with :func:`compile_module`, the form latency is measured with.
    """
    from torch._inductor.constant_folding import constant_fold
    from torch._inductor.fx_passes.freezing_patterns import freezing_passes

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lowered = for_fusion(reference)
        if lowered is None:  # an op the direct rewrite does not handle: re-trace (slower)
            lowered = export(reference, example).run_decompositions(_cia_decompositions())
            lowered = lowered.module()
        graph = lowered.graph
        for node in list(graph.nodes):
            if node.target == aten.t.default:  # the pattern matcher expects permute
                with graph.inserting_before(node):
                    perm = graph.call_function(aten.permute.default, (node.args[0], [1, 0]))
                node.replace_all_uses_with(perm)
                graph.erase_node(node)
            # As inductor's freezing does first: the fusion patterns (3-D input linear:
            # reshape -> addmm -> reshape) are written for reshape, and oneDNN outputs
            # may be channels-last, which view rejects.
            elif node.target in (aten.view.default, aten._unsafe_view.default):
                node.target = aten.reshape.default
        lowered.recompile()
        fill_tensor_meta(lowered)
        with torch.no_grad():
            freezing_passes(lowered, tuple(example[0]) + tuple(example[1].values()))
            constant_fold(lowered)
        lowered.recompile()
    return lowered


class Compiled(torch.nn.Module):
    """``torch.compile`` with inductor freezing (weights become constants: prepacked INT8 or
    FP32 kernels). Freezing must be on whenever dynamo traces and inductor compiles: at the
    first call and again whenever a guard fails (``torch.compile(options={"freezing":
    True})`` is not enough: the INT8 graph then fails to compile). Calls that match a
    compiled input signature and global state skip the config patch, which costs ~15 us a
    call (a few percent of a small CNN's INT8 forward)."""

    def __init__(self, module: torch.nn.Module) -> None:
        super().__init__()
        self.compiled = torch.compile(module, dynamic=False)
        #: input signature -> dynamo's snapshots of the global state compiled for
        self._compiled_for: dict[tuple[Any, ...], list[Any]] = {}

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        from torch._C._dynamo.guards import GlobalStateGuard
        from torch._inductor import config

        key = _signature(args, kwargs)
        states = self._compiled_for.setdefault(key, [])
        if any(state.check() for state in states):
            return self.compiled(*args, **kwargs)
        with config.patch(freezing=True), warnings.catch_warnings():
            # inductor's own INT8 lowering copies a tensor the way it warns users against
            warnings.filterwarnings(
                "ignore", "To copy construct from a tensor", UserWarning, r"torch\._inductor\."
            )
            out = self.compiled(*args, **kwargs)
        # Dynamo guards on this state too (grad mode, thread count, default dtype...).
        states.append(GlobalStateGuard())
        return out


def _signature(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
    """The part of a call dynamo's guards see besides global state: tensor shapes, dtypes
    and devices, the values of other arguments."""

    def one(value: Any) -> Any:
        if isinstance(value, torch.Tensor):
            return (tuple(value.shape), value.dtype, value.device, value.requires_grad)
        if isinstance(value, list | tuple):  # nested tensors: never their values
            return (type(value), tuple(one(v) for v in value))
        if isinstance(value, dict):
            return (dict, tuple((k, one(v)) for k, v in sorted(value.items())))
        return (type(value), repr(value))

    return (tuple(one(a) for a in args), tuple((k, one(v)) for k, v in sorted(kwargs.items())))


def compile_module(module: torch.nn.Module) -> Compiled:
    """The fastest form of ``module``: inductor-compiled with freezing (compiles lazily)."""
    return Compiled(module)


def run(module: Any, args: CallArgs) -> Any:
    with torch.no_grad():
        return module(*args[0], **args[1])
