"""Fashion-MNIST: the official 60k/10k split (Debian package) and a small trained CNN.

The CNN's weights are committed as ``weights/fashion_cnn.npz`` (numpy arrays keyed by
torch state_dict names, so backends without torch can load them); they were made by
``train_fashion_cnn.py``.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from . import assets
from ._cache import ZooError

if TYPE_CHECKING:
    import torch

DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
WEIGHTS = Path(__file__).parent / "weights" / "fashion_cnn.npz"
MEAN, STD = 0.2860, 0.3530
CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
           "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")  # fmt: skip


def fashion_mnist_dir() -> Path:
    """Folder with the four IDX ``.gz`` files (``$LPOT_FASHION_MNIST_DIR`` overrides)."""
    folder = Path(os.environ.get("LPOT_FASHION_MNIST_DIR") or DEBIAN_DIR)
    if not (folder / "t10k-images-idx3-ubyte.gz").is_file():
        raise ZooError(
            f"Fashion-MNIST not found in {folder}. Install it with "
            f"`apt-get update && apt-get install -y {assets.FASHION_MNIST_DEB}` (Debian/Ubuntu), "
            "or point LPOT_FASHION_MNIST_DIR at a folder holding the IDX .gz files."
        )
    return folder


def _read_idx(path: Path) -> np.ndarray:
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def fashion_mnist(split: str = "test") -> tuple[np.ndarray, np.ndarray]:
    """Official split: ``(x uint8 [N,28,28], y int64 [N])``; N = 10,000 (test) or 60,000 (train)."""
    prefix = {"test": "t10k", "train": "train"}.get(split)
    if prefix is None:
        raise ZooError(f"split must be 'test' or 'train', not {split!r}")
    folder = fashion_mnist_dir()
    x = _read_idx(folder / f"{prefix}-images-idx3-ubyte.gz")
    y = _read_idx(folder / f"{prefix}-labels-idx1-ubyte.gz").astype(np.int64)
    return x, y


def fashion_inputs(x: np.ndarray) -> np.ndarray:
    """uint8 ``[N,28,28]`` -> model-ready float32 ``[N,1,28,28]``, (x/255-0.2860)/0.3530."""
    x = np.asarray(x, dtype=np.float32).reshape(-1, 1, 28, 28)
    return ((x / 255.0 - MEAN) / STD).astype(np.float32)


def fashion_cnn_weights() -> dict[str, np.ndarray]:
    """The trained weights as numpy arrays keyed by torch state_dict names."""
    if not WEIGHTS.is_file():
        raise ZooError(f"{WEIGHTS} is missing; run `python -m zoo.train_fashion_cnn`")
    with np.load(WEIGHTS) as data:
        return {k: data[k] for k in data.files}


def fashion_cnn() -> torch.nn.Module:
    """Trained Fashion-MNIST CNN (eval mode); input float32 ``[N,1,28,28]`` (``fashion_inputs``)."""
    import torch

    from ._torch_nets import FashionCNN

    model = FashionCNN()
    model.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in fashion_cnn_weights().items()})
    return model.eval()
