"""A cheap digest of a dataloader, recorded in the tuning history.

A resumed run compares it with the recorded one to notice that the evaluation data
changed. It must never fail and never consume data the tuner still needs.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from typing import Any

import numpy as np

from lpot_core.data.dataloader import DataLoader

log = logging.getLogger(__name__)


def fingerprint(dataloader: Any) -> str:
    """``"<batches>-<sha1 of the first batch>"`` for any iterable of ``(inputs, labels)``.

    Works for lpot's :class:`DataLoader` (read without advancing its shuffle or
    rollover state) and for foreign loaders such as a torch ``DataLoader`` yielding
    tensors. One-shot iterators (generators) are not read, since that would eat
    their first batch; they, and anything that fails, give ``"unknown"``.
    """
    try:
        if isinstance(dataloader, DataLoader):
            n = min(dataloader.batch_size, len(dataloader.dataset))
            batch = dataloader._batch(list(range(n)))
            extra = f"{dataloader.batch_size}/{dataloader.last_batch}/{dataloader.shuffle}"
        else:
            if iter(dataloader) is dataloader:
                return "unknown"
            batch = next(iter(dataloader))
            extra = type(dataloader).__name__
        try:
            length = str(len(dataloader))
        except TypeError:
            length = "?"
        digest = hashlib.sha1(extra.encode())
        _feed(digest, batch)
        return f"{length}-{digest.hexdigest()[:16]}"
    except Exception as exc:  # a fingerprint is a convenience, never a failure
        log.debug("cannot fingerprint dataloader %r: %s", dataloader, exc)
        return "unknown"


def _feed(digest: Any, value: Any) -> None:
    """Hash a nested batch structure: its layout, dtypes, shapes and bytes."""
    if isinstance(value, Mapping):
        digest.update(b"{")
        for key in sorted(value, key=str):
            digest.update(str(key).encode())
            _feed(digest, value[key])
        digest.update(b"}")
    elif isinstance(value, (tuple, list)):
        digest.update(f"({len(value)}".encode())
        for item in value:
            _feed(digest, item)
        digest.update(b")")
    elif value is None or isinstance(value, (str, bytes, int, float, bool)):
        digest.update(repr(value).encode())
    else:
        if hasattr(value, "detach"):
            value = value.detach()
        if hasattr(value, "cpu") and not isinstance(value, np.generic):
            value = value.cpu()
        arr = np.ascontiguousarray(np.asarray(value))
        if arr.dtype.kind == "O":
            digest.update(repr(arr.tolist()).encode())
            return
        digest.update(f"{arr.dtype.str}{arr.shape}".encode())
        digest.update(arr.tobytes())
