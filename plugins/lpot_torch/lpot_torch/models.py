"""The model objects the adaptor hands to lpot: an FP32 working copy and a quantized model."""

from __future__ import annotations

import copy
import warnings
from dataclasses import dataclass, field
from typing import Any

import torch
from torch.export import ExportedProgram
from torch.fx import GraphModule

from lpot_core.errors import ModelError
from lpot_core.space import TuneConfig
from lpot_torch.inputs import CallArgs


@dataclass(eq=False)
class TorchModel:
    """lpot's working copy of a user's FP32 module (deep-copied, eval mode).

    ``example`` (the first batch lpot sees) is what ``torch.export`` traces with; the export
    and the op table are made once, on first need.
    """

    module: torch.nn.Module
    example: CallArgs | None = None
    exported: ExportedProgram | None = None
    #: op name -> (op type, node name) for every op the x86 recipe can quantize.
    ops: dict[str, tuple[str, str]] | None = None
    #: lazily built: BN-folded FP32 graph (for inspect) and the compiled module (latency).
    cache: dict[str, Any] = field(default_factory=dict)

    def graph_copy(self) -> GraphModule:
        """A fresh, mutable copy of the exported graph (prepare_pt2e rewrites it in place)."""
        if self.exported is None:
            raise ModelError(
                "the model has not been exported yet: lpot needs an example "
                "batch first (run calibrate/predict, or set model option "
                "example_inputs)"
            )
        with warnings.catch_warnings():  # deepcopy of a GraphModule warns about pytree internals
            warnings.simplefilter("ignore", FutureWarning)
            return copy.deepcopy(self.exported.module())

    def __repr__(self) -> str:
        return f"TorchModel({type(self.module).__name__})"


@dataclass(eq=False)
class QuantizedTorchModel:
    """A PT2E-quantized model.

    ``reference`` is the converted graph with explicit quantize/dequantize ops (the form
    that is saved); ``lowered`` runs the same math with oneDNN INT8 kernels without
    compiling (used for evaluation); ``compiled`` is ``torch.compile`` of the reference
    with freezing, the fastest form (used for latency). The latter two are built lazily.
    """

    reference: GraphModule
    example: CallArgs | None
    approach: str
    tune_cfg: TuneConfig | None
    #: op name -> (op type, node name) of the ops this model quantized.
    quantized_ops: dict[str, tuple[str, str]]
    #: op name -> node name for every op of the source model (for inspect).
    op_nodes: dict[str, str]
    cache: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        return (
            f"QuantizedTorchModel({self.approach}, {len(self.quantized_ops)} INT8 ops, "
            f"fp32={len(self.op_nodes) - len(self.quantized_ops)})"
        )
