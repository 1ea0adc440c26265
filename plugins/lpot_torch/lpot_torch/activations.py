"""Op outputs of FP32 and quantized graphs, for ranking ops by quantization error (mse)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import torch
from torch.fx import GraphModule, Interpreter, Node

from lpot_torch.calibration import split_batch
from lpot_torch.inputs import to_call_args


class _Recorder(Interpreter):
    """Runs a graph node by node, keeping the outputs of the wanted nodes."""

    def __init__(self, module: GraphModule, wanted: dict[str, str]) -> None:
        super().__init__(module)
        self.wanted = wanted
        self.outputs: dict[str, list[np.ndarray]] = {}

    def run_node(self, n: Node) -> Any:
        out = super().run_node(n)
        op = self.wanted.get(n.name)
        if op is not None and isinstance(out, torch.Tensor):
            self.outputs.setdefault(op, []).append(out.detach().float().numpy().copy())
        return out


def op_outputs(
    graph: GraphModule,
    op_nodes: dict[str, str],
    dataloader: Iterable[Any],
    op_names: Sequence[str],
    max_batches: int,
) -> dict[str, np.ndarray]:
    """{op name: output over the first ``max_batches`` batches} for ops found in the graph.

    FP32 and quantized graphs come from the same BN-folded export, so one op has the same
    node name in both; in a quantized graph the value is that op's dequantized-input result.
    """
    wanted = {op_nodes[name]: name for name in op_names if name in op_nodes}
    recorder = _Recorder(graph, wanted)
    with torch.no_grad():
        for i, batch in enumerate(dataloader):
            if i >= max_batches:
                break
            positional, named = to_call_args(split_batch(batch))
            recorder.run(*positional, *named.values())
    return {name: np.concatenate(chunks) for name, chunks in recorder.outputs.items()}
