"""Quantization specs per op choice, and moving calibration statistics into observers.

Calibration records FP32 statistics of every tensor once (:mod:`lpot_torch.calibration`);
a trial's fresh observers are filled from them here, so trials never run data.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import torch
from torchao.quantization.pt2e.observer import (
    HistogramObserver,
    MinMaxObserver,
    PerChannelMinMaxObserver,
)
from torchao.quantization.pt2e.quantizer import QuantizationConfig, QuantizationSpec

from lpot_core.errors import ModelError
from lpot_core.space import OpChoice

EPS = 2.0**-12  # the x86 inductor recipe's minimum scale
#: default percentile kept by the ``percentile`` algorithm (LPOT/INC default).
DEFAULT_PERCENTILE = 99.999


class PercentileObserver(MinMaxObserver):
    """A MinMaxObserver whose range is clipped to a percentile of the calibration histogram
    (set by :func:`load_stats`; it is never run on data)."""

    percentile: float = DEFAULT_PERCENTILE


def _activation_observer(algorithm: str, percentile: float) -> Any:
    if algorithm == "kl":  # HistogramObserver minimizes L2 quantization error over the histogram
        return HistogramObserver.with_args(eps=EPS)
    if algorithm == "percentile":
        cls = type("PercentileObserver", (PercentileObserver,), {"percentile": percentile})
        return cls.with_args(eps=EPS)
    return MinMaxObserver.with_args(eps=EPS)


@functools.lru_cache(maxsize=64)
def quantization_config(
    choice: OpChoice,
    reduce_range: bool,
    dynamic: bool = False,
    percentile: float = DEFAULT_PERCENTILE,
) -> QuantizationConfig:
    """The torchao QuantizationConfig for one op's choice (activations uint8 asym per-tensor,
    7-bit when ``reduce_range``; weights int8 sym per-channel or per-tensor)."""
    act = choice.activation
    if dynamic:
        from torchao.quantization.pt2e.observer import PlaceholderObserver

        act_ctr = PlaceholderObserver.with_args(eps=EPS)
    else:
        act_ctr = _activation_observer(act.algorithm, percentile)
    act_spec = QuantizationSpec(
        dtype=torch.uint8,
        quant_min=0,
        quant_max=127 if reduce_range else 255,
        qscheme=torch.per_tensor_affine,
        is_dynamic=dynamic,
        observer_or_fake_quant_ctr=act_ctr,
    )
    weight = choice.weight
    per_channel = weight is None or weight.granularity == "per_channel"
    weight_spec = QuantizationSpec(
        dtype=torch.int8,
        quant_min=-128,
        quant_max=127,
        qscheme=torch.per_channel_symmetric if per_channel else torch.per_tensor_symmetric,
        ch_axis=0,
        observer_or_fake_quant_ctr=(
            PerChannelMinMaxObserver if per_channel else MinMaxObserver
        ).with_args(eps=EPS),
    )
    return QuantizationConfig(
        act_spec, None if dynamic else act_spec, weight_spec, None, is_qat=False
    )


# -- statistics ---------------------------------------------------------------------------
def rebin(
    hist: np.ndarray, lo: float, hi: float, bins: int, new_lo: float, new_hi: float
) -> np.ndarray:
    """``hist`` over [lo, hi] redistributed into ``bins`` bins over [new_lo, new_hi]."""
    if len(hist) == bins and lo == new_lo and hi == new_hi:
        return hist.astype(np.float64)
    edges = np.linspace(lo, hi, len(hist) + 1)
    centers = (edges[:-1] + edges[1:]) / 2
    out, _ = np.histogram(
        centers, bins=bins, range=(new_lo, max(new_hi, new_lo + 1e-12)), weights=hist
    )
    return out.astype(np.float64)


def merge(stats: list[dict[str, Any]], bins: int) -> dict[str, Any]:
    """One range (and histogram) covering several tensors that share an observer."""
    lo = min(s["min"] for s in stats)
    hi = max(s["max"] for s in stats)
    merged: dict[str, Any] = {"min": lo, "max": hi, "hist": None}
    if all(s.get("hist") is not None for s in stats):
        merged["hist"] = sum(rebin(s["hist"], s["min"], s["max"], bins, lo, hi) for s in stats)
    return merged


def percentile_range(stat: dict[str, Any], percentile: float) -> tuple[float, float]:
    """(low, high) keeping ``percentile`` % of the histogram's mass on each side's tail."""
    hist = stat.get("hist")
    if hist is None or hist.sum() <= 0:
        return stat["min"], stat["max"]
    cdf = np.cumsum(hist) / hist.sum()
    edges = np.linspace(stat["min"], stat["max"], len(hist) + 1)
    tail = (100.0 - percentile) / 100.0
    lo_idx = int(np.searchsorted(cdf, tail, side="left"))
    hi_idx = int(np.searchsorted(cdf, 1.0 - tail, side="left"))
    return float(edges[lo_idx]), float(edges[min(hi_idx + 1, len(hist))])


def load_stats(observer: Any, stat: dict[str, Any]) -> None:
    """Set an activation observer's state as if it had seen the calibration data."""
    if isinstance(observer, HistogramObserver):
        if stat.get("hist") is None:
            raise ModelError(
                "this trial needs histograms but calibration recorded only "
                "min/max; calibrate with algorithms including 'kl'"
            )
        hist = rebin(
            stat["hist"], stat["min"], stat["max"], observer.bins, stat["min"], stat["max"]
        )
        observer.histogram = torch.tensor(hist, dtype=torch.float32)
    lo, hi = stat["min"], stat["max"]
    if isinstance(observer, PercentileObserver):
        lo, hi = percentile_range(stat, observer.percentile)
    observer.min_val = torch.tensor(float(lo))
    observer.max_val = torch.tensor(float(hi))
