"""Tune the Fashion-MNIST CNN from Python (LPOT 1.x style), with conf.yaml's settings.

    python examples/torch/fashion_cnn/tune.py

Calibrates on 1,000 training images and scores on the 10,000 test images. The INT8
model is saved as ``.pt2``; reload it with ``lpot_torch.load_quantized(path, compile=True)``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
import zoo  # examples/zoo

from lpot_core.api import Quantization
from lpot_core.data import DataLoader


def main() -> None:
    xt, yt = zoo.fashion_mnist("train")
    xe, ye = zoo.fashion_mnist("test")
    q = Quantization(str(Path(__file__).with_name("conf.yaml")))
    q.model = zoo.fashion_cnn()
    q.calib_dataloader = DataLoader.from_arrays(
        zoo.fashion_inputs(xt[:1000]), yt[:1000], batch_size=100
    )
    q.eval_dataloader = DataLoader.from_arrays(zoo.fashion_inputs(xe), ye, batch_size=500)
    result = q.fit()
    print(result)


if __name__ == "__main__":
    main()
