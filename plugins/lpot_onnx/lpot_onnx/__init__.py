"""lpot-onnx: the ONNX Runtime backend of lpot.

``OnnxAdaptor`` is imported lazily so that importing this package (as the plugin
entry point does) never imports onnx or onnxruntime.
"""

from __future__ import annotations

from typing import Any

__all__ = ["OnnxAdaptor", "OnnxModel"]


def __getattr__(name: str) -> Any:
    if name == "OnnxAdaptor":
        from lpot_onnx.adaptor import OnnxAdaptor

        return OnnxAdaptor
    if name == "OnnxModel":
        from lpot_onnx.model import OnnxModel

        return OnnxModel
    raise AttributeError(f"module 'lpot_onnx' has no attribute {name!r}")
