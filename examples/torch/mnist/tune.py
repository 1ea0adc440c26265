"""Tune the pretrained MNIST CNN from Python (LPOT 1.x style), with conf.yaml's settings.

    python examples/torch/mnist/tune.py

The result's INT8 model is saved as ``.pt2``; reload it with
``lpot_torch.load_quantized(path, compile=True)`` or ``torch.export.load(path).module()``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
import zoo  # examples/zoo

from lpot_core.api import Quantization
from lpot_core.data import DataLoader


def main() -> None:
    x, y = zoo.mnist_digits()
    inputs = zoo.mnist_inputs(x)
    q = Quantization(str(Path(__file__).with_name("conf.yaml")))
    q.model = zoo.mnist_cnn()
    q.calib_dataloader = DataLoader.from_arrays(inputs[:1000], y[:1000], batch_size=100)
    q.eval_dataloader = DataLoader.from_arrays(inputs[1000:], y[1000:], batch_size=250)
    result = q.fit()
    print(result)


if __name__ == "__main__":
    main()
