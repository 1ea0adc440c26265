"""Prepare the PyTorch EfficientNet-Lite0 job: the ImageNet model as an FP32 ``.pt2`` and
the 20 labelled ImageNet images foolbox ships (the only ones available offline).

Writes into ``$LPOT_CACHE/examples/torch_efficientnet_lite0`` (default ``~/.cache/lpot``):
``efficientnet_lite0.pt2`` (``torch.export``, batch dynamic, loadable without the
``efficientnet-lite-pytorch`` code) and ``images.npz`` (20 preprocessed images with labels,
used both to calibrate and to evaluate: too few to hold any out).

    python examples/torch/efficientnet_lite0/prepare.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
import zoo  # examples/zoo
from lpot_torch.capture import export


def main() -> None:
    out = zoo.cache_dir() / "examples" / "torch_efficientnet_lite0"
    out.mkdir(parents=True, exist_ok=True)
    x, y = zoo.imagenet_samples()
    program = export(zoo.efficientnet_lite0().eval(), ((torch.from_numpy(x[:2]),), {}))
    torch.export.save(program, out / "efficientnet_lite0.pt2")
    np.savez(out / "images.npz", x=x, y=y)
    print(f"prepared {out}: model and {len(y)} images")


if __name__ == "__main__":
    main()
