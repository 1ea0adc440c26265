"""Classification metrics: top-k, accuracy, F1 and Matthews correlation."""

from __future__ import annotations

from typing import Any

import numpy as np

from lpot_core.errors import ConfigError, DataError
from lpot_core.metrics.base import Metric, first_output, labels_array, to_classes


class TopK(Metric):
    """Fraction of samples whose label is among the ``k`` highest scores (LPOT ``topk``).

    ``preds`` are scores ``[N, C]``; labels are indices ``[N]`` or one-hot ``[N, C]``.
    Ties are broken like ``argmax`` (the lower class index ranks first), so ``k=1``
    agrees exactly with :class:`Accuracy` on logits.
    """

    def __init__(self, k: int = 1) -> None:
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ConfigError(f"topk: k must be a positive integer, got {k!r}")
        self.k = k
        super().__init__()

    def reset(self) -> None:
        self.correct = 0
        self.total = 0

    def update(self, preds: Any, labels: Any) -> None:
        p = first_output(preds)
        lab = labels_array(labels)
        n = lab.shape[0] if lab.ndim else 1
        if p.ndim == 1:
            p = p.reshape(1, -1) if n == 1 else p
        if p.ndim != 2:
            p = p.reshape(n, -1) if p.size and p.size % n == 0 else p
        if p.ndim != 2:
            raise DataError(f"topk: predictions must be class scores [N, C], got shape {p.shape}")
        if lab.shape == p.shape and p.shape[1] > 1:  # one-hot labels
            lab = lab.argmax(axis=-1)
        lab = lab.reshape(-1).astype(np.int64)
        if lab.shape[0] != p.shape[0]:
            raise DataError(
                f"topk: {p.shape[0]} prediction rows but {lab.shape[0]} labels; "
                "they must cover the same samples"
            )
        classes = p.shape[1]
        if self.k > classes:
            raise DataError(
                f"topk: k={self.k} but the model predicts only {classes} classes; "
                f"every sample would count as correct — use k <= {classes}"
            )
        if lab.size and (lab.min() < 0 or lab.max() >= classes):
            bad = lab[(lab < 0) | (lab >= classes)][0]
            raise DataError(
                f"topk: label {bad} is outside the {classes} predicted classes "
                "[0, C); check the label offset (some TF models use 1001 classes)"
            )
        own = p[np.arange(lab.shape[0]), lab][:, None]
        # Rank of the label in a stable descending sort: higher scores, plus equal
        # scores at lower class indices, come first.
        ahead = (p > own) | ((p == own) & (np.arange(classes)[None, :] < lab[:, None]))
        self.correct += int((ahead.sum(axis=1) < self.k).sum())
        self.total += lab.shape[0]

    def result(self) -> float:
        if not self.total:
            raise self._empty()
        return self.correct / self.total


class Accuracy(Metric):
    """Fraction of correct predictions (LPOT ``Accuracy``).

    Scores ``[N, C]`` are compared by argmax with labels ``[N]`` or one-hot labels;
    predictions shaped like the labels are compared element-wise (multi-label 0/1
    predictions, or class indices); probabilities in [0, 1] are thresholded at 0.5.
    """

    def reset(self) -> None:
        self.correct = 0
        self.total = 0

    def update(self, preds: Any, labels: Any) -> None:
        p = first_output(preds)
        lab = labels_array(labels)
        if p.shape == lab.shape and p.ndim >= 2 and p.shape[-1] > 1 and not _one_hot(lab):
            # multi-label: every (sample, class) cell is one decision
            p = (p >= 0.5) if p.dtype.kind == "f" and not _integral(p) else p
            self.correct += int((p.astype(np.int64) == lab.astype(np.int64)).sum())
            self.total += lab.size
            return
        pc, lc, _ = to_classes(p, lab, "Accuracy")
        self.correct += int((pc == lc).sum())
        self.total += lc.size

    def result(self) -> float:
        if not self.total:
            raise self._empty()
        return self.correct / self.total


def _integral(a: np.ndarray) -> bool:
    return bool(np.all(np.equal(np.mod(a, 1), 0)))


def _one_hot(lab: np.ndarray) -> bool:
    return bool(np.isin(lab, (0, 1)).all() and np.all(lab.sum(axis=-1) == 1))


class _ConfusionMetric(Metric):
    """Base of metrics read off a confusion matrix (true class x predicted class) that
    grows as classes appear; subclasses implement ``result`` from :meth:`checked`."""

    name = "confusion"

    def reset(self) -> None:
        self.matrix = np.zeros((0, 0), dtype=np.int64)

    def update(self, preds: Any, labels: Any) -> None:
        pc, lc, n_classes = to_classes(preds, labels, self.name)
        size = max(
            n_classes,
            int(pc.max(initial=-1)) + 1,
            int(lc.max(initial=-1)) + 1,
            self.matrix.shape[0],
        )
        if size > self.matrix.shape[0]:
            grown = np.zeros((size, size), dtype=np.int64)
            k = self.matrix.shape[0]
            grown[:k, :k] = self.matrix
            self.matrix = grown
        np.add.at(self.matrix, (lc, pc), 1)

    def checked(self) -> np.ndarray:
        """The matrix, or the "no samples" error if it is empty."""
        if not self.matrix.sum():
            raise self._empty()
        return self.matrix


class F1(_ConfusionMetric):
    """F1 score for classification (GLUE MRPC/QQP style).

    ``average="binary"`` scores class ``pos_label``; ``"macro"`` averages the per-class
    F1 over classes present in labels or predictions; ``"auto"`` (default) is binary
    when at most two classes are seen and macro otherwise.
    """

    name = "F1"

    def __init__(self, average: str = "auto", pos_label: int = 1) -> None:
        if average not in ("auto", "binary", "macro"):
            raise ConfigError(f"F1: average must be 'auto', 'binary' or 'macro', got {average!r}")
        self.average = average
        self.pos_label = int(pos_label)
        super().__init__()

    def result(self) -> float:
        m = self.checked()
        tp = np.diag(m).astype(np.float64)
        fp = m.sum(axis=0) - tp
        fn = m.sum(axis=1) - tp
        denom = 2 * tp + fp + fn
        per_class = np.divide(2 * tp, denom, out=np.zeros_like(tp), where=denom > 0)
        average = self.average
        if average == "auto":
            average = "binary" if m.shape[0] <= 2 else "macro"
        if average == "binary":
            return float(per_class[self.pos_label]) if self.pos_label < len(per_class) else 0.0
        present = (m.sum(axis=0) + m.sum(axis=1)) > 0
        return float(per_class[present].mean())


class MCC(_ConfusionMetric):
    """Matthews correlation coefficient (GLUE CoLA), multi-class (Gorodkin's R_K).

    Returns 0.0 when it is undefined (all predictions or all labels one class),
    as scikit-learn does.
    """

    name = "MCC"

    def result(self) -> float:
        m = self.checked().astype(np.float64)
        s = m.sum()
        c = np.trace(m)
        t = m.sum(axis=1)  # true counts per class
        p = m.sum(axis=0)  # predicted counts per class
        cov = c * s - float(p @ t)
        denom = np.sqrt((s * s - float(p @ p)) * (s * s - float(t @ t)))
        return float(cov / denom) if denom > 0 else 0.0
