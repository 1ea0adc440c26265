"""The Metric contract and the input normalisation every built-in metric shares.

Adaptors hand metrics whatever the model produced (an array, a tuple/list of
outputs, a dict of named outputs, or framework tensors) and whatever the
dataloader yielded as labels (python ints, lists, numpy arrays). The helpers here
turn both into numpy arrays once, so each metric only does its arithmetic.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from lpot_core.errors import DataError


class Metric(ABC):
    """A streaming metric: ``reset()``, then ``update()`` once per batch, then ``result()``.

    Metrics accumulate counts and sums rather than keeping every prediction, so a
    long evaluation costs constant memory. ``higher_is_better`` tells the tuner in
    which direction the accuracy criterion points.
    """

    higher_is_better: ClassVar[bool] = True

    def __init__(self) -> None:
        self.reset()

    @abstractmethod
    def reset(self) -> None:
        """Forget everything seen so far (called before each evaluation)."""

    @abstractmethod
    def update(self, preds: Any, labels: Any) -> None:
        """Add one batch. ``preds``: model output(s); ``labels``: the batch's labels."""

    @abstractmethod
    def result(self) -> float:
        """The metric over every batch since the last ``reset()``."""

    def _empty(self) -> DataError:
        """The error ``result()`` raises when no batch was seen."""
        return DataError(
            f"{type(self).__name__}: result() called before any update(); the "
            "evaluation dataloader yielded no batches — check its dataset "
            "and last_batch setting"
        )


def to_numpy(value: Any) -> np.ndarray:
    """``value`` as a numpy array; framework tensors are detached and moved to CPU
    by duck typing (the core never imports a framework)."""
    if isinstance(value, np.ndarray):
        return value
    if hasattr(value, "detach"):  # torch tensors that require grad
        value = value.detach()
    if hasattr(value, "cpu") and not isinstance(value, np.generic):
        value = value.cpu()
    if hasattr(value, "numpy") and not isinstance(value, np.generic):  # tf / torch
        try:
            return np.asarray(value.numpy())
        except (TypeError, AttributeError, ValueError):
            pass
    if hasattr(value, "asnumpy"):  # mxnet NDArray
        return np.asarray(value.asnumpy())
    return np.asarray(value)


def first_output(preds: Any) -> np.ndarray:
    """The model's first output as an array.

    A tuple, a dict, or a list whose first element is itself an array (what
    onnxruntime's ``run`` returns) holds several outputs: use the first. A list of
    numbers is one output.
    """
    if isinstance(preds, Mapping):
        if not preds:
            raise DataError("metric got an empty dict of model outputs")
        preds = next(iter(preds.values()))
    elif isinstance(preds, tuple) or (
        isinstance(preds, list) and preds and np.ndim(_peek(preds[0])) >= 1
    ):
        if not preds:
            raise DataError("metric got an empty tuple of model outputs")
        preds = preds[0]
    return to_numpy(preds)


def labels_array(labels: Any) -> np.ndarray:
    """Labels as an array; a 1-tuple ``(labels,)`` is unwrapped."""
    if isinstance(labels, tuple) and len(labels) == 1:
        labels = labels[0]
    if labels is None:
        raise DataError(
            "metric got labels=None; the dataloader must yield labels for this "
            "metric (or use an eval_func)"
        )
    if isinstance(labels, (list, tuple)):
        labels = [to_numpy(x) if not isinstance(x, (int, float, bool)) else x for x in labels]
    return to_numpy(labels)


def _peek(value: Any) -> Any:
    """Something np.ndim can inspect without converting a framework tensor."""
    shape = getattr(value, "shape", None)
    return np.empty(tuple(shape), dtype=np.uint8) if shape is not None else value


def to_classes(preds: Any, labels: Any, name: str) -> tuple[np.ndarray, np.ndarray, int]:
    """Predicted and true class indices (1-D int arrays of equal length) and the
    number of classes the predictions imply (0 if unknown).

    Predictions may be scores ``[N, C]`` (argmax is taken), class indices ``[N]``,
    or probabilities of the positive class ``[N]`` in [0, 1] (thresholded at 0.5).
    Labels may be indices ``[N]`` or one-hot ``[N, C]``.
    """
    p = first_output(preds)
    lab = labels_array(labels)
    n_classes = 0
    if p.ndim >= 2 and p.shape[-1] > 1:
        n_classes = p.shape[-1]
        if lab.shape == p.shape:  # one-hot labels
            lab = lab.argmax(axis=-1)
        p = p.argmax(axis=-1)
    else:
        p = p.reshape(-1)
        if p.dtype.kind == "f" and p.size and not np.all(np.equal(np.mod(p, 1), 0)):
            if p.min() < 0 or p.max() > 1:
                raise DataError(
                    f"{name}: predictions are one real value per sample outside "
                    "[0, 1]; pass class scores [N, C], class indices, or "
                    "probabilities of the positive class"
                )
            p = p >= 0.5
    p = p.reshape(-1)
    lab = lab.reshape(-1)
    if p.shape != lab.shape:
        raise DataError(
            f"{name}: {p.shape[0]} predictions but {lab.shape[0]} labels in one "
            "batch; the model output and the labels must cover the same samples"
        )
    return p.astype(np.int64), _as_int(lab, name), n_classes


def _as_int(lab: np.ndarray, name: str) -> np.ndarray:
    if lab.dtype.kind == "f":
        if lab.size and not np.all(np.equal(np.mod(lab, 1), 0)):
            raise DataError(
                f"{name}: labels must be class indices, got non-integer values "
                f"such as {lab[np.mod(lab, 1) != 0][0]}"
            )
    elif lab.dtype.kind not in "iub":
        raise DataError(f"{name}: labels must be class indices, got dtype {lab.dtype}")
    lab = lab.astype(np.int64)
    if lab.size and lab.min() < 0:
        raise DataError(f"{name}: negative label {lab.min()}; labels must be class indices")
    return lab


def paired_values(preds: Any, labels: Any, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Float64 predictions and targets of equal shape, for regression metrics."""
    p = first_output(preds).astype(np.float64)
    lab = labels_array(labels).astype(np.float64)
    if p.size != lab.size:
        raise DataError(
            f"{name}: predictions have {p.size} values (shape {p.shape}) but "
            f"labels have {lab.size} (shape {lab.shape}); they must match"
        )
    return p.reshape(-1), lab.reshape(-1)


def batch_size_of(labels: Any) -> int:
    """Number of samples in a batch of labels (1 if it cannot be told)."""
    if labels is None:
        return 1
    try:
        return len(labels)
    except TypeError:
        return 1
