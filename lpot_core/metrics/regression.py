"""Error and correlation metrics: Loss, MAE, MSE, RMSE, Pearson."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from lpot_core.metrics.base import Metric, batch_size_of, first_output, paired_values


class Loss(Metric):
    """Mean of the loss values the model outputs (LPOT ``Loss``); lower is better.

    Per-sample losses ``[N]`` are averaged over samples; a scalar per-batch loss is
    weighted by the batch size (the number of labels), so batches of different sizes
    average correctly.
    """

    higher_is_better = False

    def reset(self) -> None:
        self.total = 0.0
        self.count = 0

    def update(self, preds: Any, labels: Any) -> None:
        p = first_output(preds).astype(np.float64)
        if p.ndim == 0:
            n = batch_size_of(labels)
            self.total += float(p) * n
            self.count += n
        else:
            self.total += float(p.sum())
            self.count += p.size

    def result(self) -> float:
        if not self.count:
            raise self._empty()
        return self.total / self.count


class _ErrorMetric(Metric):
    """Sums of absolute and squared errors over every predicted value.

    ``compare_label=False`` (LPOT semantics) means the dataset has no usable labels:
    the evaluator passes the FP32 model's outputs as ``labels``, so the metric measures
    how far the quantized model drifts from FP32. The metric itself computes the same.
    """

    higher_is_better = False

    def __init__(self, compare_label: bool = True) -> None:
        self.compare_label = bool(compare_label)
        super().__init__()

    def reset(self) -> None:
        self.abs_sum = 0.0
        self.sq_sum = 0.0
        self.count = 0

    def update(self, preds: Any, labels: Any) -> None:
        p, lab = paired_values(preds, labels, type(self).__name__)
        diff = p - lab
        self.abs_sum += float(np.abs(diff).sum())
        self.sq_sum += float(diff @ diff)
        self.count += diff.size

    def _checked_count(self) -> int:
        if not self.count:
            raise self._empty()
        return self.count


class MAE(_ErrorMetric):
    """Mean absolute error over all predicted values; lower is better."""

    def result(self) -> float:
        return self.abs_sum / self._checked_count()


class MSE(_ErrorMetric):
    """Mean squared error over all predicted values; lower is better."""

    def result(self) -> float:
        return self.sq_sum / self._checked_count()


class RMSE(_ErrorMetric):
    """Root mean squared error over all predicted values; lower is better."""

    def result(self) -> float:
        return math.sqrt(self.sq_sum / self._checked_count())


class Pearson(Metric):
    """Pearson correlation of predictions and targets (GLUE STS-B).

    Streams with running means and co-moments (Chan et al.'s pairwise update), which
    stays accurate where naive sums of squares cancel. Returns 0.0 when either side
    is constant (the correlation is undefined).
    """

    def reset(self) -> None:
        self.n = 0
        self.mean_x = 0.0
        self.mean_y = 0.0
        self.m2_x = 0.0
        self.m2_y = 0.0
        self.c_xy = 0.0

    def update(self, preds: Any, labels: Any) -> None:
        x, y = paired_values(preds, labels, "Pearson")
        nb = x.size
        if not nb:
            return
        mx, my = float(x.mean()), float(y.mean())
        dx, dy = x - mx, y - my
        m2x, m2y, cxy = float(dx @ dx), float(dy @ dy), float(dx @ dy)
        n = self.n + nb
        delta_x, delta_y = mx - self.mean_x, my - self.mean_y
        weight = self.n * nb / n
        self.m2_x += m2x + delta_x * delta_x * weight
        self.m2_y += m2y + delta_y * delta_y * weight
        self.c_xy += cxy + delta_x * delta_y * weight
        self.mean_x += delta_x * nb / n
        self.mean_y += delta_y * nb / n
        self.n = n

    def result(self) -> float:
        if not self.n:
            raise self._empty()
        denom = math.sqrt(self.m2_x * self.m2_y)
        return self.c_xy / denom if denom > 0 else 0.0
