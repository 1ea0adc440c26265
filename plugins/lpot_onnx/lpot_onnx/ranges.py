"""Streaming activation statistics and the ranges every calibration algorithm derives from them.

One :class:`TensorStats` per tensor holds min, max and a fixed-size histogram symmetric
around zero. When a batch exceeds the histogram's range, the range doubles (as often as
needed) and adjacent bins merge pairwise, so memory is bounded by the bin count, never by
the number of samples, and merging is exact. ``minmax``, ``kl`` (ORT's "Entropy", the
TensorRT/MXNet KL search) and ``percentile`` ranges are all computed from these stats, so
changing a tensor's algorithm never needs new inference.

Values beyond :data:`SENTINEL` are not data but stand-ins for infinity (transformers add
float32's lowest value to the attention scores of padding tokens). Like ``inf`` they are
left out of the statistics; quantized, they saturate to the range's edge, which keeps
them far below every real score, so softmax still masks them. Counting them would stretch
one INT8 scale over 1e38 and turn every real score into the same value.
"""

from __future__ import annotations

import numpy as np

DEFAULT_BINS = 2048
DEFAULT_QUANTIZED_BINS = 128
DEFAULT_PERCENTILE = 99.999
#: magnitude above which a value is a sentinel (an infinity stand-in), not data
SENTINEL = 1e30


class TensorStats:
    """Running min/max and a ``bins``-bin histogram over ``[-threshold, threshold]``."""

    __slots__ = ("bins", "count", "hist", "max", "min", "threshold")

    def __init__(self, bins: int = DEFAULT_BINS) -> None:
        if bins < 4 or bins & (bins - 1):
            raise ValueError(f"histogram bins must be a power of two >= 4, got {bins}")
        self.bins = bins
        self.hist = np.zeros(bins, dtype=np.int64)
        self.threshold = 0.0
        self.min = float("inf")
        self.max = float("-inf")
        self.count = 0

    def update(self, values: np.ndarray) -> None:
        """Add a batch of values (any shape); non-finite values and sentinels are ignored."""
        x = np.asarray(values, dtype=np.float32).ravel()
        if x.size == 0:
            return
        lo, hi = float(x.min()), float(x.max())
        if not (lo >= -SENTINEL and hi <= SENTINEL):  # also False for NaN
            x = x[np.abs(x) <= SENTINEL]
            if x.size == 0:
                return
            lo, hi = float(x.min()), float(x.max())
        self.min, self.max = min(self.min, lo), max(self.max, hi)
        absmax = max(abs(lo), abs(hi))
        if self.threshold == 0.0:
            self.threshold = absmax if absmax > 0 else 1e-8  # all-zero tensors still get a range
        elif absmax > self.threshold:
            self._grow(absmax)
        width = 2.0 * self.threshold / self.bins
        idx = np.floor((x + self.threshold) / width).astype(np.int64)
        np.clip(idx, 0, self.bins - 1, out=idx)
        self.hist += np.bincount(idx, minlength=self.bins)
        self.count += x.size

    def _grow(self, absmax: float) -> None:
        """Double the range until it covers ``absmax``, merging bins exactly."""
        factor = 1
        while self.threshold * factor < absmax:
            factor *= 2
        half = self.bins // 2
        # merge `factor` adjacent bins per side; beyond `half` everything lands next to zero
        f = min(factor, half)
        neg = self.hist[:half].reshape(-1, f).sum(axis=1)
        pos = self.hist[half:].reshape(-1, f).sum(axis=1)
        new = np.zeros_like(self.hist)
        new[half - neg.size : half] = neg
        new[half : half + pos.size] = pos
        self.hist = new
        self.threshold *= factor

    @property
    def edges(self) -> np.ndarray:
        return np.linspace(-self.threshold, self.threshold, self.bins + 1)

    # -- ranges ------------------------------------------------------------
    def minmax(self) -> tuple[float, float]:
        return self.min, self.max

    def percentile(self, percentile: float = DEFAULT_PERCENTILE) -> tuple[float, float]:
        """Cut ``(100 - percentile) / 2`` % of the values on each side (ORT's asymmetric rule)."""
        total = self.hist.sum()
        if total == 0:
            return self.minmax()
        cdf = np.cumsum(self.hist) / total
        cut = (100.0 - percentile) / 200.0
        edges = self.edges
        left = int(np.searchsorted(cdf, cut))
        right = int(np.searchsorted(cdf, 1.0 - cut))
        lo, hi = float(edges[left]), float(edges[min(right + 1, self.bins)])
        return max(lo, self.min), min(hi, self.max)

    def kl(self, quantized_bins: int = DEFAULT_QUANTIZED_BINS) -> tuple[float, float]:
        """The threshold ``t`` minimizing KL(P || Q) between the histogram of ``|x|`` clipped
        at ``t`` (P) and its quantization to the levels one side gets (Q), clipped to the
        observed min/max. ``quantized_bins`` levels per side for signed tensors; twice that
        for non-negative ones (ReLU outputs), which an asymmetric uint8 range spends on
        one side."""
        if self.hist.sum() == 0:
            return self.minmax()
        half = self.bins // 2
        folded = self.hist[half:] + self.hist[:half][::-1]  # histogram of |x|
        levels = 2 * quantized_bins - 1 if self.min >= 0 else quantized_bins
        t = _kl_threshold(folded, self.threshold / half, min(levels, half))
        return max(-t, self.min), min(t, self.max)


def _kl_threshold(hist: np.ndarray, width: float, levels: int) -> float:
    """TensorRT's entropy calibration on a histogram of ``|x|`` with bin ``width``."""
    hist = hist.astype(np.float64)
    tail = np.concatenate((np.cumsum(hist[::-1])[::-1], [0.0]))  # tail[i] = hist[i:].sum()
    cache: dict[int, float] = {}

    def divergence(i: int) -> float:
        if i not in cache:
            cache[i] = _clip_divergence(hist, tail, i, levels)
        return cache[i]

    # a coarse scan over ~256 candidates, then every candidate around the best one
    stride = max(1, (hist.size - levels) // 256)
    coarse = min(range(levels + 1, hist.size + 1, stride), key=divergence)
    fine = range(max(levels + 1, coarse - stride), min(hist.size, coarse + stride) + 1)
    return min(fine, key=divergence) * width


def _clip_divergence(hist: np.ndarray, tail: np.ndarray, i: int, levels: int) -> float:
    """KL divergence between ``hist`` clipped at bin ``i`` and its ``levels``-level version.

    Bin 0 (values near zero, a huge spike after ReLU) is left out: zero is exactly
    representable, and counting the spike would make every threshold look equally bad.
    """
    sliced = hist[1:i]
    p = sliced.copy()
    p[-1] += tail[i]  # outliers are clipped into the last bin
    bin_id = (np.arange(i - 1) * levels) // (i - 1)
    nonzero = sliced != 0
    sums = np.bincount(bin_id, weights=sliced, minlength=levels)
    norms = np.bincount(bin_id, weights=nonzero, minlength=levels)
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.where(nonzero, sums[bin_id] / norms[bin_id], 0.0)
    return _kl(p, q)


def _smooth(counts: np.ndarray, eps: float = 1e-4) -> np.ndarray | None:
    """Replace empty bins by ``eps`` counts, taken evenly from the others, then normalize.
    Works on counts (every non-empty bin holds >= 1), so no bin can go negative."""
    zeros = counts == 0
    n_zeros = int(zeros.sum())
    if n_zeros == counts.size:
        return None
    eps1 = eps * n_zeros / (counts.size - n_zeros)
    smoothed = np.where(zeros, eps, counts - eps1)
    if not (smoothed > 0).all():
        return None
    return smoothed / smoothed.sum()


def _kl(p: np.ndarray, q: np.ndarray) -> float:
    ps, qs = _smooth(p), _smooth(q)
    if ps is None or qs is None:
        return float("inf")
    return float(np.sum(ps * np.log(ps / qs)))
