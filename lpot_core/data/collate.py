"""Stacking samples into a batch.

Inputs keep their structure: an array stays an array ``[B, ...]``, a tuple/list of
arrays becomes a tuple of batched arrays, a dict of named arrays a dict of batched
arrays. A sample whose structure or shapes differ from the first is an error that
names both samples, because a silently ragged batch fails much later and far away.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from lpot_core.errors import DataError


def split_sample(item: Any, index: int) -> tuple[Any, Any]:
    """A dataset item as ``(inputs, label)``: a bare array or dict is unlabeled."""
    if isinstance(item, (tuple, list)) and len(item) == 2:
        return item[0], item[1]
    if isinstance(item, (np.ndarray, Mapping)) or hasattr(item, "shape"):
        return item, None
    raise DataError(
        f"dataset item {index} is a {type(item).__name__}"
        f"{f' of length {len(item)}' if isinstance(item, (tuple, list)) else ''}; "
        "datasets must return (inputs, label) pairs (label may be None)"
    )


def default_collate(
    samples: Sequence[Any], indices: Sequence[int] | None = None
) -> tuple[Any, Any]:
    """Stack ``(inputs, label)`` samples into one ``(inputs, labels)`` batch.

    ``indices`` are the samples' dataset indices, used only in error messages.
    Labels are stacked into an array when they are numeric and equally shaped,
    ``None`` when every label is ``None``, and kept as a list otherwise (strings,
    dicts, ragged detection boxes).
    """
    if not samples:
        raise DataError("cannot collate an empty batch")
    idx = list(indices) if indices is not None else list(range(len(samples)))
    pairs = [split_sample(s, i) for s, i in zip(samples, idx, strict=True)]
    inputs = _stack([p[0] for p in pairs], idx, "inputs")
    return inputs, _stack_labels([p[1] for p in pairs])


def _describe(value: Any) -> str:
    if isinstance(value, Mapping):
        return f"dict with keys {sorted(map(str, value))}"
    if isinstance(value, (tuple, list)):
        return f"{type(value).__name__} of length {len(value)}"
    return f"shape {tuple(np.shape(value))}"


def _mismatch(where: str, idx: Sequence[int], k: int, first: Any, other: Any) -> DataError:
    return DataError(
        f"sample {idx[k]} does not match sample {idx[0]} at {where}: "
        f"{_describe(other)} vs {_describe(first)}. Give every sample the "
        "same structure and shape (resize/pad in a transform), use "
        "batch_size=1, or pass a collate_fn"
    )


def _stack(values: list[Any], idx: Sequence[int], where: str) -> Any:
    first = values[0]
    if isinstance(first, Mapping):
        for k, v in enumerate(values):
            if not isinstance(v, Mapping) or set(v) != set(first):
                raise _mismatch(where, idx, k, first, v)
        return {key: _stack([v[key] for v in values], idx, f"{where}[{key!r}]") for key in first}
    if isinstance(first, (tuple, list)):
        for k, v in enumerate(values):
            if not isinstance(v, (tuple, list)) or len(v) != len(first):
                raise _mismatch(where, idx, k, first, v)
        return tuple(
            _stack([v[j] for v in values], idx, f"{where}[{j}]") for j in range(len(first))
        )
    arrays = [_as_array(v) for v in values]
    for k, a in enumerate(arrays):
        if isinstance(values[k], (Mapping, tuple, list)) or a.shape != arrays[0].shape:
            raise _mismatch(where, idx, k, first, values[k])
    return np.stack(arrays)


def _as_array(value: Any) -> np.ndarray:
    """``np.asarray`` that also accepts framework tensors (detached, on CPU)."""
    if isinstance(value, np.ndarray):
        return value
    if hasattr(value, "detach"):
        value = value.detach()
    if hasattr(value, "cpu") and not isinstance(value, np.generic):
        value = value.cpu()
    return np.asarray(value)


def _stack_labels(labels: list[Any]) -> Any:
    if all(lab is None for lab in labels):
        return None
    if any(isinstance(lab, (str, bytes, Mapping)) or lab is None for lab in labels):
        return labels
    try:
        arrays = [_as_array(lab) for lab in labels]
    except (ValueError, TypeError):  # ragged tuples such as (boxes, classes)
        return labels
    if any(a.dtype.kind not in "biuf" for a in arrays) or len({a.shape for a in arrays}) > 1:
        return labels
    return np.stack(arrays)
