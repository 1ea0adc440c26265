"""Prepare the PyTorch Fashion-MNIST job: the zoo's trained CNN as an FP32 ``.pt2`` and data.

Writes into ``$LPOT_CACHE/examples/torch_fashion_cnn`` (default ``~/.cache/lpot``):
``fashion_cnn.pt2`` (``torch.export`` of the 2-conv CNN, batch dynamic, loadable without
its Python class), ``calib.npz`` (1,000 training images), ``eval.npz`` (the official
10,000 test images).

    python examples/torch/fashion_cnn/prepare.py
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
    out = zoo.cache_dir() / "examples" / "torch_fashion_cnn"
    out.mkdir(parents=True, exist_ok=True)
    xt, yt = zoo.fashion_mnist("train")
    xe, ye = zoo.fashion_mnist("test")
    calib = zoo.fashion_inputs(xt[:CALIB])
    program = export(zoo.fashion_cnn().eval(), ((torch.from_numpy(calib[:8]),), {}))
    torch.export.save(program, out / "fashion_cnn.pt2")
    np.savez(out / "calib.npz", x=calib, y=yt[:CALIB])
    np.savez(out / "eval.npz", x=zoo.fashion_inputs(xe), y=ye)
    print(f"prepared {out}: model, {CALIB} calibration and {len(ye)} eval images")


if __name__ == "__main__":
    main()
