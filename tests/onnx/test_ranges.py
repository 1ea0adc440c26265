"""Streaming histograms: bounded memory, exact merging, and the derived ranges."""

from __future__ import annotations

import numpy as np
from lpot_onnx.ranges import TensorStats


def test_histogram_memory_is_bounded_and_merging_keeps_every_count():
    rng = np.random.default_rng(0)
    stats = TensorStats(bins=256)
    total = 0
    for scale in (0.01, 1.0, 30.0, 5000.0):  # the range grows by orders of magnitude
        values = rng.normal(0, scale, 10_000).astype(np.float32)
        stats.update(values)
        total += values.size
        assert stats.hist.size == 256
        assert stats.hist.sum() == total
        assert stats.threshold >= max(abs(stats.min), abs(stats.max))
    assert stats.minmax() == (stats.min, stats.max)


def test_ranges_from_one_histogram():
    rng = np.random.default_rng(1)
    stats = TensorStats()
    values = np.concatenate([np.maximum(rng.normal(0, 1, 200_000), 0), [40.0]])
    stats.update(values.astype(np.float32))
    lo, hi = stats.minmax()
    assert (lo, hi) == (0.0, 40.0)
    p_lo, p_hi = stats.percentile(99.99)
    assert p_lo == 0.0 and 3.0 < p_hi < 6.0  # the single outlier is cut
    k_lo, k_hi = stats.kl()
    assert k_lo == 0.0 and 1.5 < k_hi < 40.0
    stats.update(np.array([np.nan, np.inf], np.float32))  # non-finite values are ignored
    assert stats.minmax() == (0.0, 40.0)


def test_all_zero_tensor_gets_a_range():
    stats = TensorStats()
    stats.update(np.zeros(100, np.float32))
    assert stats.minmax() == (0.0, 0.0) and stats.kl() == (0.0, 0.0)


def test_infinity_stand_ins_are_not_data(recwarn):
    """Additive attention masks hold float32's lowest value: left out like -inf, so the
    range (and the INT8 scale) covers the real scores only; nothing overflows."""
    lowest = np.finfo(np.float32).min
    stats = TensorStats(bins=64)
    stats.update(np.array([0.5, 1.0], np.float32))
    stats.update(np.array([lowest, -3.0, 0.0, -lowest, np.nan], np.float32))
    assert stats.hist.sum() == stats.count == 4
    assert stats.minmax() == (-3.0, 1.0)
    assert stats.threshold < 10
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]
