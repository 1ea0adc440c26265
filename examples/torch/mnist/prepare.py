"""Prepare the PyTorch MNIST job: the pretrained CNN as an FP32 ``.pt2`` and real digits.

Writes into ``$LPOT_CACHE/examples/torch_mnist`` (default ``~/.cache/lpot``):
``mnist_cnn.pt2`` (``torch.export`` of PyPI ``digit-recognizer-py``'s CNN, batch dynamic,
loadable without its Python class), ``calib.npz`` (1,000 digits), ``eval.npz`` (4,000).

    python examples/torch/mnist/prepare.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
import zoo  # examples/zoo
from lpot_torch.capture import export

CALIB = 1000


def main() -> None:
    out = zoo.cache_dir() / "examples" / "torch_mnist"
    out.mkdir(parents=True, exist_ok=True)
    x, y = zoo.mnist_digits()
    inputs = zoo.mnist_inputs(x)
    program = export(zoo.mnist_cnn().eval(), ((torch.from_numpy(inputs[:8]),), {}))
    torch.export.save(program, out / "mnist_cnn.pt2")
    np.savez(out / "calib.npz", x=inputs[:CALIB], y=y[:CALIB])
    np.savez(out / "eval.npz", x=inputs[CALIB:], y=y[CALIB:])
    print(f"prepared {out}: model, {CALIB} calibration and {len(x) - CALIB} eval digits")


if __name__ == "__main__":
    main()
