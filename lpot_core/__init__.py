"""lpot: accuracy-driven low-precision (INT8) optimization of deep-learning models.

The core is framework-neutral; backends (lpot-onnx, lpot-torch, ...) are plugins.
"""

from __future__ import annotations

from lpot_core.hookspecs import hookimpl

__version__ = "0.1.0"
__all__ = ["__version__", "hookimpl"]
