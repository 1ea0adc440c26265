"""One streaming calibration pass: every activation a quantizable op reads or writes.

The model is augmented once with those tensors as extra graph outputs and run with an
InferenceSession over at most ``sampling_size`` samples; each tensor's values stream into a
:class:`lpot_onnx.ranges.TensorStats`. Batches are split into chunks so the extra outputs of
one run stay under a memory budget, whatever the batch size.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

import onnx

from lpot_core.errors import DataError
from lpot_onnx.model import OnnxModel
from lpot_onnx.ranges import DEFAULT_BINS, DEFAULT_PERCENTILE, DEFAULT_QUANTIZED_BINS, TensorStats
from lpot_onnx.runtime import batch_size, make_feeds, make_session, take

log = logging.getLogger(__name__)

_FLOAT_TYPES = (onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16)
#: bytes of extra outputs one calibration run may return (the batch is chunked to fit).
_OUTPUT_BUDGET = 256 * 2**20


class CalibrationStats:
    """Statistics of every calibrated tensor, and the range each algorithm derives from them
    (computed once per tensor and algorithm, then cached)."""

    def __init__(
        self,
        tensors: dict[str, TensorStats],
        samples: int,
        *,
        percentile: float = DEFAULT_PERCENTILE,
        quantized_bins: int = DEFAULT_QUANTIZED_BINS,
    ) -> None:
        self.tensors = tensors
        self.samples = samples
        self.percentile = percentile
        self.quantized_bins = quantized_bins
        self._ranges: dict[tuple[str, str], tuple[float, float]] = {}

    def __contains__(self, tensor: str) -> bool:
        return tensor in self.tensors

    def range(self, tensor: str, algorithm: str) -> tuple[float, float]:
        """The (min, max) range of ``tensor`` under ``algorithm`` (minmax, kl, percentile)."""
        key = (tensor, algorithm)
        if key not in self._ranges:
            stats = self.tensors[tensor]
            if algorithm == "minmax":
                value = stats.minmax()
            elif algorithm == "kl":
                value = stats.kl(self.quantized_bins)
            elif algorithm == "percentile":
                value = stats.percentile(self.percentile)
            else:
                raise ValueError(
                    f"unknown calibration algorithm {algorithm!r}; use minmax, kl or percentile"
                )
            self._ranges[key] = value
        return self._ranges[key]

    def __repr__(self) -> str:
        return f"CalibrationStats({len(self.tensors)} tensors, {self.samples} samples)"


def float_tensors(proto: onnx.ModelProto) -> set[str]:
    """Names of float activations (graph inputs, outputs and value_info; no initializers)."""
    inits = {i.name for i in proto.graph.initializer}
    found = set()
    for vi in [*proto.graph.input, *proto.graph.output, *proto.graph.value_info]:
        if vi.name not in inits and vi.type.tensor_type.elem_type in _FLOAT_TYPES:
            found.add(vi.name)
    return found


def tensors_to_calibrate(proto: onnx.ModelProto, node_names: Sequence[str]) -> list[str]:
    """Float activations read or written by the named nodes, in graph order."""
    wanted = set(node_names)
    floats = float_tensors(proto)
    ordered: dict[str, None] = {}
    for node in proto.graph.node:
        if node.name in wanted:
            for name in [*node.input, *node.output]:
                if name and name in floats:
                    ordered[name] = None
    return list(ordered)


def augmented(proto: onnx.ModelProto, tensors: Sequence[str]) -> bytes:
    """``proto`` with ``tensors`` added as graph outputs, serialized."""
    model = onnx.ModelProto()
    model.CopyFrom(proto)
    infos = {vi.name: vi for vi in [*model.graph.value_info, *model.graph.input]}
    present = {o.name for o in model.graph.output}
    for name in tensors:
        if name in present:
            continue
        vi = onnx.ValueInfoProto()
        if name in infos:
            vi.CopyFrom(infos[name])
        else:
            vi.name = name
            vi.type.tensor_type.elem_type = onnx.TensorProto.FLOAT
        model.graph.output.append(vi)
    return model.SerializeToString()


def calibrate(
    model: OnnxModel,
    dataloader: Iterable[Any],
    sampling_size: int,
    tensors: Sequence[str],
    *,
    threads: int = 0,
    bins: int = DEFAULT_BINS,
    percentile: float = DEFAULT_PERCENTILE,
    quantized_bins: int = DEFAULT_QUANTIZED_BINS,
) -> CalibrationStats:
    """Run ``model`` over at most ``sampling_size`` samples of ``dataloader`` once and
    collect :class:`TensorStats` for ``tensors``. Raises :class:`DataError` on an empty
    loader or inputs that do not match the model."""
    if sampling_size < 1:
        raise DataError(f"calibration sampling_size must be >= 1, got {sampling_size}")
    session = make_session(augmented(model.proto, tensors), threads)
    out_names = [o.name for o in session.get_outputs()]
    wanted = [n for n in out_names if n in set(tensors)]
    stats = {name: TensorStats(bins) for name in wanted}
    seen, chunk = 0, 1  # the first run measures bytes per sample, then chunks grow to the budget
    for batch in dataloader:
        feeds = make_feeds(session, _inputs_of(batch))
        n = min(batch_size(feeds), sampling_size - seen)
        feeds = take(feeds, n)
        start = 0
        while start < n:
            part = {k: v[start : start + chunk] for k, v in feeds.items()}
            size = batch_size(part)
            results = session.run(wanted, part)
            for name, value in zip(wanted, results, strict=True):
                stats[name].update(value)
            per_sample = max(sum(r.nbytes for r in results) / max(size, 1), 1.0)
            chunk = max(1, int(_OUTPUT_BUDGET // per_sample))
            start += size
        seen += n
        if seen >= sampling_size:
            break
    if seen == 0:
        raise DataError(
            "the calibration dataloader yielded no samples; give it at least one "
            "batch of (inputs, labels)"
        )
    missing = [t for t in tensors if t not in stats]
    if missing:
        log.debug(
            "no statistics for %d tensors (not computable outputs): %s", len(missing), missing[:5]
        )
    log.info("calibrated %d tensors on %d samples", len(stats), seen)
    return CalibrationStats(stats, seen, percentile=percentile, quantized_bins=quantized_bins)


def _inputs_of(batch: Any) -> Any:
    if isinstance(batch, (tuple, list)) and len(batch) == 2:
        return batch[0]
    raise DataError(
        f"a dataloader batch must be a pair (inputs, labels), got a "
        f"{type(batch).__name__}; yield (inputs, None) if there are no labels"
    )


def empty_stats() -> CalibrationStats:
    """Stats for approaches that need none (dynamic quantization)."""
    return CalibrationStats({}, 0)
