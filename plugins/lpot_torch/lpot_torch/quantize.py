"""One trial: prepare a fresh copy of the graph for a tune config, fill its observers from the
recorded statistics (no data is run), and convert it to a quantized reference graph."""

from __future__ import annotations

import warnings
from typing import Any

import torch
from torch.fx import GraphModule
from torchao.quantization.pt2e.observer import ObserverBase, PlaceholderObserver
from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e

from lpot_core.errors import ModelError
from lpot_core.space import TuneConfig
from lpot_torch.calibration import CalibrationStats
from lpot_torch.models import QuantizedTorchModel, TorchModel
from lpot_torch.observers import load_stats, merge
from lpot_torch.quantizer import LpotX86Quantizer


def build(
    model: TorchModel,
    tune_cfg: TuneConfig,
    stats: CalibrationStats | None,
    *,
    reduce_range: bool,
    percentile: float,
) -> QuantizedTorchModel:
    """The quantized model for ``tune_cfg`` (``approach`` "static" needs ``stats``)."""
    dynamic = tune_cfg.approach == "dynamic"
    if not dynamic and stats is None:
        raise ModelError(
            "static quantization needs calibration statistics; call calibrate "
            "first (or use approach 'dynamic')"
        )
    default = next(iter(tune_cfg.ops.values()), None)
    quantizer = LpotX86Quantizer(tune_cfg.ops, default, reduce_range, dynamic, percentile)
    graph = model.graph_copy()
    with warnings.catch_warnings():
        # the recipe warns for every maxpool left float behind a float op: expected here
        warnings.simplefilter("ignore")
        prepared = prepare_pt2e(graph, quantizer)
        fill_observers(prepared, stats)
        converted = convert_pt2e(prepared)
    drop_unused_tensors(converted)
    assert model.example is not None and model.ops is not None
    return QuantizedTorchModel(
        reference=converted,
        example=model.example,
        approach=tune_cfg.approach,
        tune_cfg=tune_cfg,
        quantized_ops=dict(quantizer.ops),
        op_nodes={name: node for name, (_, node) in model.ops.items()},
    )


def fill_observers(prepared: GraphModule, stats: CalibrationStats | None) -> None:
    """Weights: observe the constant itself. Activations: load the recorded statistics of
    every tensor the observer watches (several when the recipe shares one observer)."""
    sources: dict[int, tuple[Any, list[str]]] = {}
    for node in prepared.graph.nodes:
        if node.op != "call_module":
            continue
        obs = prepared.get_submodule(node.target)
        if not isinstance(obs, ObserverBase) or isinstance(obs, PlaceholderObserver):
            continue
        src = node.args[0]
        if src.op == "get_attr":
            weight = _attr(prepared, src.target)
            obs.reset_min_max_vals() if hasattr(obs, "reset_min_max_vals") else None
            with torch.no_grad():
                obs(weight)
            continue
        sources.setdefault(id(obs), (obs, []))[1].append(src.name)
    for obs, names in sources.values():
        assert stats is not None
        missing = [n for n in names if n not in stats.tensors]
        if missing:
            raise ModelError(
                f"no calibration statistics for tensor(s) {missing}: no "
                "calibration sample reached them; calibrate with data that "
                "exercises every branch, or put those ops in FP32"
            )
        load_stats(obs, merge([stats.tensors[n] for n in names], stats.bins))


def drop_unused_tensors(graph_module: GraphModule) -> None:
    """Delete parameters and buffers no node reads: convert_pt2e leaves the FP32 weights
    behind next to their INT8 copies, and they would quadruple the saved model."""
    graph_module.graph.eliminate_dead_code()
    used = {n.target for n in graph_module.graph.nodes if n.op == "get_attr"}
    names = [n for n, _ in graph_module.named_parameters()]
    names += [n for n, _ in graph_module.named_buffers()]
    for name in names:
        if name in used:
            continue
        owner_path, _, attr = name.rpartition(".")
        owner = graph_module.get_submodule(owner_path) if owner_path else graph_module
        delattr(owner, attr)
    graph_module.recompile()


def _attr(module: torch.nn.Module, target: str) -> torch.Tensor:
    obj: Any = module
    for part in target.split("."):
        obj = getattr(obj, part)
    return obj
