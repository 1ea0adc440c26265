"""LPOT's generated datasets ``dummy`` and ``dummy_v2``: random tensors of given shapes,
for calibrating or benchmarking without real data.

Unlike LPOT, samples are generated lazily from ``(seed, index)``: the same index
always yields the same sample, in any order, without holding the dataset in memory.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lpot_core.data.datasets import Dataset, Transform
from lpot_core.errors import ConfigError


class Dummy(Dataset):
    """LPOT ``dummy``: ``shape`` includes the sample count as its first dimension,
    e.g. ``[128, 3, 224, 224]`` is 128 samples of ``[3, 224, 224]``; a list of such
    shapes (equal first dimensions) gives tuple inputs for multi-input models.

    ``low``/``high``/``dtype`` are one value or one per tensor; values are uniform
    in ``[low, high)`` (integer dtypes: ``[low, high]``). ``label=True`` gives label 0
    (as in LPOT), ``False`` no label; an int gives that label.
    """

    def __init__(
        self,
        shape: Any,
        low: Any = -128.0,
        high: Any = 127.0,
        dtype: Any = "float32",
        label: bool | int = True,
        seed: int = 9527,
        transform: Transform | None = None,
    ) -> None:
        super().__init__(transform)
        shapes, self._multi = _shapes(shape, "dummy shape")
        counts = {s[0] if s else None for s in shapes}
        if len(counts) != 1 or None in counts:
            raise ConfigError(
                f"dummy shape {shape!r}: every shape's first dimension is the "
                "number of samples and must be present and equal"
            )
        self._size = int(shapes[0][0])
        self._shapes = [s[1:] for s in shapes]
        n = len(shapes)
        self._low = _per_tensor(low, n, "dummy low")
        self._high = _per_tensor(high, n, "dummy high")
        self._dtype = _per_tensor(dtype, n, "dummy dtype")
        if isinstance(label, bool):
            self._label: int | None = 0 if label else None
        else:
            self._label = int(label)
        self.seed = int(seed)

    def __len__(self) -> int:
        return self._size

    def _load(self, index: int) -> tuple[Any, Any]:
        rng = np.random.default_rng([self.seed, index])
        tensors = [
            _random(rng, s, lo, hi, dt)
            for s, lo, hi, dt in zip(self._shapes, self._low, self._high, self._dtype, strict=True)
        ]
        return (tuple(tensors) if self._multi else tensors[0]), self._label


class DummyV2(Dataset):
    """LPOT ``dummy_v2``: ``input_shape`` and ``label_shape`` exclude the sample
    dimension (e.g. ``[224, 224, 3]`` and ``[1]``); lists of shapes give tuples.

    ``low``/``high``/``dtype`` are one value or a list with one entry per input
    tensor followed by one per label tensor. LPOT's ``dummy_v2`` never ends; here
    ``length`` (default 1000) bounds it so it has a size and epochs end.
    """

    def __init__(
        self,
        input_shape: Any,
        label_shape: Any = None,
        low: Any = -128.0,
        high: Any = 127.0,
        dtype: Any = "float32",
        length: int = 1000,
        seed: int = 9527,
        transform: Transform | None = None,
    ) -> None:
        super().__init__(transform)
        if isinstance(length, bool) or not isinstance(length, int) or length < 1:
            raise ConfigError(f"dummy_v2 length must be a positive integer, got {length!r}")
        self._inputs, self._multi_in = _shapes(input_shape, "dummy_v2 input_shape")
        if label_shape is None:
            self._labels, self._multi_label = [], False
        else:
            self._labels, self._multi_label = _shapes(label_shape, "dummy_v2 label_shape")
        n = len(self._inputs) + len(self._labels)
        self._low = _per_tensor(low, n, "dummy_v2 low")
        self._high = _per_tensor(high, n, "dummy_v2 high")
        self._dtype = _per_tensor(dtype, n, "dummy_v2 dtype")
        self._size = length
        self.seed = int(seed)

    def __len__(self) -> int:
        return self._size

    def _load(self, index: int) -> tuple[Any, Any]:
        rng = np.random.default_rng([self.seed, index])
        tensors = [
            _random(rng, s, lo, hi, dt)
            for s, lo, hi, dt in zip(
                self._inputs + self._labels, self._low, self._high, self._dtype, strict=True
            )
        ]
        k = len(self._inputs)
        inputs = tuple(tensors[:k]) if self._multi_in else tensors[0]
        if not self._labels:
            return inputs, None
        return inputs, tuple(tensors[k:]) if self._multi_label else tensors[k]


def _per_tensor(value: Any, count: int, what: str) -> list[Any]:
    """``value`` repeated per tensor, or a list checked to have one entry per tensor."""
    if isinstance(value, (list, tuple)):
        if len(value) != count:
            raise ConfigError(
                f"{what} lists {len(value)} values for {count} tensors; give "
                "one value, or one per tensor"
            )
        return list(value)
    return [value] * count


def _shapes(shape: Any, what: str) -> tuple[list[tuple[int, ...]], bool]:
    """A shape or a list of shapes, and whether it was a list (multi-tensor)."""
    if not isinstance(shape, (list, tuple)) or not shape:
        raise ConfigError(
            f"{what} must be a shape like [3, 224, 224] or a list of shapes, got {shape!r}"
        )
    multi = all(isinstance(s, (list, tuple)) for s in shape)
    shapes = [tuple(s) for s in shape] if multi else [tuple(shape)]
    for s in shapes:
        if not all(isinstance(d, (int, np.integer)) and d >= 0 for d in s):
            raise ConfigError(f"{what}: {list(s)} is not a shape of non-negative integers")
    return shapes, multi


def _random(
    rng: np.random.Generator, shape: tuple[int, ...], low: float, high: float, dtype: str
) -> np.ndarray:
    try:
        dt = np.dtype(dtype)
    except TypeError as exc:
        raise ConfigError(f"dummy dataset: unknown dtype {dtype!r}") from exc
    if dt.kind in "iu":  # integers uniformly in [low, high] clipped to the dtype's range
        info = np.iinfo(dt)
        lo, hi = max(int(np.ceil(low)), int(info.min)), min(int(np.floor(high)), int(info.max))
        if lo > hi:
            raise ConfigError(f"dummy dataset: no {dt} value lies in [{low}, {high}]")
        return rng.integers(lo, hi, size=shape, endpoint=True).astype(dt)
    if dt.kind == "b":
        return rng.integers(0, 2, size=shape).astype(bool)
    return rng.uniform(low, high, size=shape).astype(dt)
