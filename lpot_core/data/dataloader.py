"""A framework-neutral dataloader with LPOT's ``last_batch`` semantics."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from lpot_core.data.collate import default_collate
from lpot_core.errors import ConfigError, DataError

LAST_BATCH = ("keep", "rollover", "discard")


class DataLoader:
    """Batches of ``(inputs, labels)`` from a sized, indexable dataset of ``(inputs, label)``.

    ``last_batch`` decides what happens to the samples left over when the dataset
    size is not a multiple of ``batch_size``:

    * ``"keep"`` yields them as a smaller final batch (the default: evaluation sees
      every sample exactly once);
    * ``"discard"`` drops them;
    * ``"rollover"`` (LPOT/Gluon) carries them into the first batch of the next epoch.

    Each ``iter()`` is one epoch; with ``shuffle=True`` every epoch draws a new
    permutation from a generator seeded once with ``seed`` (same seed, same sequence).
    An epoch that is abandoned early (calibration stops after enough samples) rolls
    nothing over.
    """

    def __init__(
        self,
        dataset: Any,
        batch_size: int = 1,
        last_batch: str = "keep",
        shuffle: bool = False,
        seed: int | None = None,
        collate_fn: Callable[[list[Any]], Any] | None = None,
    ) -> None:
        if (
            isinstance(batch_size, bool)
            or not isinstance(batch_size, (int, np.integer))
            or batch_size < 1
        ):
            raise ConfigError(
                f"dataloader batch_size must be a positive integer, got {batch_size!r}"
            )
        if last_batch not in LAST_BATCH:
            raise ConfigError(
                f"dataloader last_batch must be one of {', '.join(LAST_BATCH)}, got {last_batch!r}"
            )
        if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
            raise DataError(
                f"dataset of type {type(dataset).__name__} must support len() and "
                "indexing; wrap an iterable in a list or use ArrayDataset"
            )
        size = len(dataset)
        if size == 0:
            raise DataError(
                f"dataset {type(dataset).__name__} is empty; point it at data "
                "(check the path or the arrays given)"
            )
        if last_batch != "keep" and size < batch_size:
            raise ConfigError(
                f"dataloader batch_size={batch_size} is larger than the dataset "
                f"({size} samples), so last_batch={last_batch!r} would yield no "
                "batch in an epoch; use a smaller batch_size or last_batch='keep'"
            )
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.last_batch = last_batch
        self.shuffle = bool(shuffle)
        self.seed = seed
        self.collate_fn = collate_fn
        self._rng = np.random.default_rng(seed)
        self._leftover: list[int] = []

    @classmethod
    def from_arrays(
        cls, inputs: Any, labels: Any = None, batch_size: int = 1, **kwargs: Any
    ) -> DataLoader:
        """A loader over in-memory arrays: ``inputs`` is an array, a tuple of arrays or a
        dict of named arrays; ``labels`` an array or ``None``. Other keyword arguments
        are those of :class:`DataLoader`."""
        from lpot_core.data.datasets import ArrayDataset

        return cls(ArrayDataset(inputs, labels), batch_size=batch_size, **kwargs)

    def __len__(self) -> int:
        """Number of batches the next epoch yields."""
        size = len(self.dataset)
        if self.last_batch == "keep":
            return math.ceil(size / self.batch_size)
        if self.last_batch == "discard":
            return size // self.batch_size
        return (len(self._leftover) + size) // self.batch_size

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        return self._epoch()

    def _order(self) -> list[int]:
        size = len(self.dataset)
        if self.shuffle:
            return [int(i) for i in self._rng.permutation(size)]
        return list(range(size))

    def _epoch(self) -> Iterator[tuple[Any, Any]]:
        order = self._order()
        if self.last_batch == "rollover":
            order, self._leftover = self._leftover + order, []
        bs = self.batch_size
        full = len(order) - len(order) % bs
        for start in range(0, full, bs):
            yield self._batch(order[start : start + bs])
        rest = order[full:]
        if rest:
            if self.last_batch == "keep":
                yield self._batch(rest)
            elif self.last_batch == "rollover":
                self._leftover = rest

    def _batch(self, indices: Sequence[int]) -> Any:
        samples = [self.dataset[i] for i in indices]
        if self.collate_fn is not None:
            return self.collate_fn(samples)
        return default_collate(samples, indices)

    def __repr__(self) -> str:
        return (
            f"DataLoader({type(self.dataset).__name__}[{len(self.dataset)}], "
            f"batch_size={self.batch_size}, last_batch={self.last_batch!r}, "
            f"shuffle={self.shuffle})"
        )
