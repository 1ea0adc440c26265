"""Side-by-side latency of several models on one batch, in alternating blocks.

Absolute times on a shared machine drift; measuring the models in alternating
blocks and reporting ratios of medians keeps the comparison fair.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from typing import Any

import attrs

from lpot_core.adaptor import Adaptor


@attrs.frozen
class Latency:
    """Per-forward times of one model."""

    times: tuple[float, ...]
    batch_size: int

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def min(self) -> float:
        return min(self.times)

    @property
    def throughput(self) -> float:
        """Samples per second at the median latency."""
        return self.batch_size / self.median


def batch_size_of(inputs: Any) -> int:
    """The leading dimension of an array, tuple or dict of arrays (1 if unknown)."""
    first = inputs
    if isinstance(inputs, Mapping):
        first = next(iter(inputs.values()))
    elif isinstance(inputs, (tuple, list)):
        first = inputs[0]
    shape = getattr(first, "shape", None)
    return int(shape[0]) if shape else 1


def compare(
    adaptor: Adaptor,
    models: Mapping[str, Any],
    inputs: Any,
    *,
    warmup: int = 5,
    iterations: int = 50,
    blocks: int = 5,
) -> dict[str, Latency]:
    """Latency of each named model, measured in ``blocks`` alternating rounds."""
    per_block = max(1, iterations // blocks)
    times: dict[str, list[float]] = {name: [] for name in models}
    for model in models.values():
        adaptor.latency(model, inputs, warmup, 0)
    for _ in range(blocks):
        for name, model in models.items():
            times[name].extend(adaptor.latency(model, inputs, 0, per_block))
    size = batch_size_of(inputs)
    return {name: Latency(tuple(t), size) for name, t in times.items()}


def comparison_table(results: Mapping[str, Latency]) -> str:
    """Markdown: median, min, throughput, and speed-up against the first model."""
    names = list(results)
    ref = results[names[0]].median
    lines = [
        "| Model | median ms | min ms | samples/s | speed-up vs " + names[0] + " |",
        "|---|---|---|---|---|",
    ]
    for name in names:
        r = results[name]
        lines.append(
            f"| {name} | {r.median * 1e3:.3f} | {r.min * 1e3:.3f} | "
            f"{r.throughput:.1f} | {ref / r.median:.2f}x |"
        )
    return "\n".join(lines)
