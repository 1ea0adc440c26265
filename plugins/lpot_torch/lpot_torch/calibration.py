"""Calibrate once: record FP32 statistics of every tensor of the graph.

The graph is prepared exactly as a trial prepares it (``prepare_pt2e`` folds batch norm
first), with an observer after every float node, so statistics are keyed by node names
that every trial's graph shares, whichever ops a trial quantizes.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch.fx import GraphModule
from torchao.quantization.pt2e.observer import HistogramObserver, MinMaxObserver
from torchao.quantization.pt2e.quantize_pt2e import prepare_pt2e
from torchao.quantization.pt2e.quantizer import (
    QuantizationAnnotation,
    QuantizationSpec,
    Quantizer,
)

from lpot_core.errors import DataError
from lpot_torch.inputs import CallArgs, batch_size, map_tensors, to_call_args

log = logging.getLogger(__name__)
HISTOGRAM_ALGORITHMS = frozenset({"kl", "percentile"})


@dataclass
class CalibrationStats:
    """Per-tensor FP32 statistics: node name -> {"min", "max", "hist" (np.ndarray or None)}."""

    tensors: dict[str, dict[str, Any]]
    samples: int
    histograms: bool
    bins: int = 2048
    algorithms: frozenset[str] = field(default_factory=frozenset)


class _RecordEverything(Quantizer):
    """Annotates every float tensor a node produces with an observer that only records."""

    def __init__(self, observer: Any) -> None:
        super().__init__()
        self.spec = QuantizationSpec(
            dtype=torch.uint8,
            quant_min=0,
            quant_max=255,
            qscheme=torch.per_tensor_affine,
            observer_or_fake_quant_ctr=observer,
        )

    def annotate(self, model: GraphModule) -> GraphModule:
        for node in model.graph.nodes:
            val = node.meta.get("val")
            if (
                node.op in ("placeholder", "call_function")
                and isinstance(val, torch.Tensor)
                and val.is_floating_point()
            ):
                node.meta["quantization_annotation"] = QuantizationAnnotation(
                    output_qspec=self.spec, _annotated=True
                )
        return model

    def validate(self, model: GraphModule) -> None:
        """Any annotation is fine: this graph is only run, never converted."""


def split_batch(batch: Any) -> Any:
    """The inputs of an ``(inputs, labels)`` batch."""
    if isinstance(batch, (tuple, list)) and len(batch) == 2:
        return batch[0]
    raise DataError(
        f"a batch must be (inputs, labels); got a {type(batch).__name__}"
        f"{f' of length {len(batch)}' if isinstance(batch, (tuple, list)) else ''}"
    )


def batches(dataloader: Iterable[Any], limit: int) -> Iterable[CallArgs]:
    """Call arguments of the loader's batches, cut to ``limit`` samples in total."""
    seen = 0
    for batch in dataloader:
        args = to_call_args(split_batch(batch))
        size = batch_size(args) or 1
        if seen + size > limit:
            keep = limit - seen
            args = map_tensors(args, lambda t, keep=keep: t[:keep])
            size = keep
        yield args
        seen += size
        if seen >= limit:
            return


def collect(
    graph: GraphModule,
    dataloader: Iterable[Any],
    sampling_size: int,
    algorithms: set[str],
    bins: int = 2048,
) -> CalibrationStats:
    """Run up to ``sampling_size`` samples through ``graph`` and record every tensor's range
    (and histogram when an algorithm in ``algorithms`` needs one)."""
    histograms = bool(set(algorithms) & HISTOGRAM_ALGORITHMS)
    observer = HistogramObserver.with_args(bins=bins) if histograms else MinMaxObserver
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prepared = prepare_pt2e(graph, _RecordEverything(observer))
    samples = 0
    with torch.no_grad():
        for args in batches(dataloader, sampling_size):
            try:
                prepared(*args[0], **args[1])
            except Exception as exc:
                raise DataError(
                    f"a calibration batch does not fit the model: "
                    f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}. "
                    "Check the input shapes and dtypes"
                ) from exc
            samples += batch_size(args) or 1
    if samples == 0:
        raise DataError(
            "the calibration dataloader yielded no batches; give it at least "
            "one (inputs, labels) batch"
        )
    tensors: dict[str, dict[str, Any]] = {}
    for node in prepared.graph.nodes:
        if node.op != "call_module":
            continue
        obs = prepared.get_submodule(node.target)
        if not isinstance(obs, MinMaxObserver | HistogramObserver):
            continue
        lo, hi = float(obs.min_val), float(obs.max_val)
        if not (np.isfinite(lo) and np.isfinite(hi)):
            continue  # a branch no calibration sample reached
        hist = obs.histogram.detach().numpy().astype(np.float64) if histograms else None
        tensors[node.args[0].name] = {"min": lo, "max": hi, "hist": hist}
    log.debug("calibrated %d tensors on %d samples", len(tensors), samples)
    return CalibrationStats(tensors, samples, histograms, bins, frozenset(algorithms))
