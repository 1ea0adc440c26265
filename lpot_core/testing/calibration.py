"""Calibration statistics for the reference numpy adaptor: one pass, bounded memory.

Each activation gets a :class:`TensorStats`: its min, max and a fixed-size histogram of
``|x|``. The histogram range only grows (by merging adjacent bins, which is exact because
the range doubles), so memory depends on the number of bins, never on the number of
samples. Every calibration algorithm derives its range from the same statistics, so a
trial never needs a new pass over the data.
"""

from __future__ import annotations

import numpy as np

from lpot_core.errors import ConfigError

BINS = 2048
PERCENTILE = 99.99
KL_TARGET_BINS = 128
KL_STEP = 16  # candidate thresholds every KL_STEP bins: 120 KL evaluations, not 1920


class TensorStats:
    """Running min/max and a histogram of absolute values over ``[0, hi]``."""

    def __init__(self, bins: int = BINS) -> None:
        if bins < KL_TARGET_BINS or bins & (bins - 1):
            raise ConfigError(f"histogram bins must be a power of two >= {KL_TARGET_BINS}")
        self.bins = bins
        self.min = float("inf")
        self.max = float("-inf")
        self.hi = 0.0
        self.hist = np.zeros(bins, dtype=np.int64)
        self.count = 0
        self._ranges: dict[str, tuple[float, float]] = {}

    def update(self, x: np.ndarray) -> None:
        """Add one batch of values."""
        x = np.asarray(x, dtype=np.float32).ravel()
        if x.size == 0:
            return
        self.min = min(self.min, float(x.min()))
        self.max = max(self.max, float(x.max()))
        absx = np.abs(x)
        top = float(absx.max())
        if self.hi == 0.0:
            self.hi = top if top > 0 else 1e-8
        while top > self.hi:  # double the range: merge bin pairs into the lower half
            merged = self.hist.reshape(-1, 2).sum(axis=1)
            self.hist = np.concatenate([merged, np.zeros(self.bins // 2, dtype=np.int64)])
            self.hi *= 2.0
        idx = np.minimum((absx / self.hi * self.bins).astype(np.int64), self.bins - 1)
        self.hist += np.bincount(idx, minlength=self.bins)
        self.count += x.size
        self._ranges.clear()

    # -- ranges ------------------------------------------------------------------
    def range(self, algorithm: str) -> tuple[float, float]:
        """``(lo, hi)`` the quantizer must cover for ``algorithm`` (always includes 0).
        Memoized: every trial asks again, and the KL search is the costly part."""
        if algorithm not in self._ranges:
            self._ranges[algorithm] = self._compute_range(algorithm)
        return self._ranges[algorithm]

    def _compute_range(self, algorithm: str) -> tuple[float, float]:
        lo, hi = min(self.min, 0.0), max(self.max, 0.0)
        if algorithm == "minmax":
            return lo, hi
        if algorithm == "percentile":
            threshold = self._percentile(PERCENTILE)
        elif algorithm == "kl":
            threshold = self._kl_threshold()
        else:
            raise ConfigError(
                f"unknown calibration algorithm {algorithm!r}; expected minmax, percentile or kl"
            )
        return max(lo, -threshold), min(hi, threshold)

    def _edge(self, nbins: int) -> float:
        return self.hi * nbins / self.bins

    def _percentile(self, pct: float) -> float:
        cdf = np.cumsum(self.hist)
        if cdf[-1] == 0:
            return 0.0
        nbins = int(np.searchsorted(cdf, cdf[-1] * pct / 100.0)) + 1
        return self._edge(nbins)

    def _kl_threshold(self) -> float:
        """TensorRT's entropy calibration: the clip threshold minimizing KL(P || Q), where P is
        the clipped reference distribution and Q its quantization to KL_TARGET_BINS levels."""
        hist = self.hist.astype(np.float64)
        if hist.sum() == 0:
            return 0.0
        best_i, best_kl = self.bins, float("inf")
        for i in range(KL_TARGET_BINS, self.bins + 1, KL_STEP):
            p = hist[:i].copy()
            p[-1] += hist[i:].sum()  # outliers are clipped into the last bin
            kl = _kl(p, _quantize_distribution(hist[:i]))
            if kl < best_kl:
                best_i, best_kl = i, kl
        return self._edge(best_i)


def _quantize_distribution(p: np.ndarray) -> np.ndarray:
    """Merge ``p`` into KL_TARGET_BINS chunks, then spread each chunk evenly over the
    bins of ``p`` that were non-empty (empty bins stay empty, as in TensorRT)."""
    starts = np.linspace(0, p.size, KL_TARGET_BINS + 1).astype(np.int64)[:-1]
    nonzero = p > 0
    sums = np.add.reduceat(p, starts)
    counts = np.add.reduceat(nonzero.astype(np.int64), starts)
    per_bin = np.divide(sums, counts, out=np.zeros_like(sums), where=counts > 0)
    widths = np.diff(np.append(starts, p.size))
    return np.where(nonzero, np.repeat(per_bin, widths), 0.0)


def _kl(p: np.ndarray, q: np.ndarray, eps: float = 1e-4) -> float:
    """KL(p || q) after normalizing; q is smoothed where p has mass and q has none (as
    MXNet's entropy calibration does), so a clipped outlier costs, not disqualifies."""
    p = p / p.sum()
    qs = q.sum()
    if qs == 0:
        return float("inf")
    q = q / qs
    mask = p > 0
    q = np.where(mask & (q == 0), eps, q)
    q = q / q.sum()
    return float(np.sum(p[mask] * np.log(p[mask] / q[mask])))


def activation_qparams(
    lo: float, hi: float, dtype: str, scheme: str
) -> tuple[float, int, int, int]:
    """``(scale, zero_point, qmin, qmax)`` for an activation range, as ORT/LPOT compute it."""
    qmin, qmax = (0, 255) if dtype == "uint8" else (-128, 127)
    if scheme == "sym":
        absmax = max(abs(lo), abs(hi))
        scale = absmax / 127.0 if absmax > 0 else 1.0
        zero = 128 if dtype == "uint8" else 0
        return scale, zero, qmin, qmax
    span = hi - lo
    scale = span / (qmax - qmin) if span > 0 else 1.0
    zero = int(np.clip(round(qmin - lo / scale), qmin, qmax))
    return scale, zero, qmin, qmax


def fake_quant(x: np.ndarray, scale: float, zero: int, qmin: int, qmax: int) -> np.ndarray:
    """Quantize then dequantize with real rounding and clipping."""
    q = np.clip(np.round(x / scale) + zero, qmin, qmax)
    return ((q - zero) * scale).astype(np.float32)


def fake_quant_weight(w: np.ndarray, scheme: str, granularity: str) -> np.ndarray:
    """INT8 fake-quantized weights ``w[in, out]``; per-channel means per output column."""
    axis = 0 if granularity == "per_channel" else None
    if scheme == "sym":
        absmax = np.abs(w).max(axis=axis, keepdims=True)
        scale = np.where(absmax > 0, absmax / 127.0, 1.0)
        q = np.clip(np.round(w / scale), -127, 127)
        return (q * scale).astype(np.float32)
    lo = np.minimum(w.min(axis=axis, keepdims=True), 0.0)
    hi = np.maximum(w.max(axis=axis, keepdims=True), 0.0)
    scale = np.where(hi > lo, (hi - lo) / 255.0, 1.0)
    zero = np.clip(np.round(-128 - lo / scale), -128, 127)
    q = np.clip(np.round(w / scale) + zero, -128, 127)
    return ((q - zero) * scale).astype(np.float32)
