"""The labelled test images foolbox ships (20 per dataset; label in the file name)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from . import assets
from ._cache import ZooError, pip_asset

KINDS = ("imagenet", "mnist", "fashionMNIST", "cifar10", "cifar100")


def foolbox_dir() -> Path:
    """Folder holding foolbox's ``data/`` images (installed ``--no-deps``, never imported)."""
    return pip_asset(*assets.FOOLBOX) / "foolbox" / "data"


def foolbox_files(kind: str) -> list[tuple[Path, int]]:
    """``[(image path, label)]`` for one of ``KINDS``, in index order."""
    if kind not in KINDS:
        raise ZooError(f"unknown foolbox dataset {kind!r}; choose one of {KINDS}")
    out = []
    for path in foolbox_dir().iterdir():
        stem = path.stem.split("_")
        if stem[0] == kind and len(stem) == 3:
            out.append((int(stem[1]), path, int(stem[2])))
    if not out:
        raise ZooError(f"no {kind} images in {foolbox_dir()}; delete it and retry")
    return [(p, y) for _, p, y in sorted(out)]


def foolbox_images(kind: str) -> tuple[np.ndarray, np.ndarray]:
    """Raw images and labels: ``(x uint8 [20,H,W] or [20,H,W,3], y int64 [20])``.

    Needs Pillow to decode. ImageNet images are 512x512 RGB; MNIST-like 28x28 gray;
    CIFAR 32x32 RGB.
    """
    from PIL import Image

    files = foolbox_files(kind)
    x = np.stack([np.asarray(Image.open(p)) for p, _ in files])
    return x, np.array([y for _, y in files], dtype=np.int64)
