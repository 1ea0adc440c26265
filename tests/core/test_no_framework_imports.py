"""The core imports no deep-learning framework, from any of its modules."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import lpot_core

FRAMEWORKS = (
    "torch",
    "torchao",
    "tensorflow",
    "keras",
    "mxnet",
    "onnx",
    "onnxruntime",
    "jax",
    "tflite_runtime",
    "ai_edge_litert",
)


def test_every_core_module_imports_without_a_framework():
    modules = [
        m.name
        for m in pkgutil.walk_packages(lpot_core.__path__, "lpot_core.")
        if ".testing.contracts" not in m.name
    ]
    assert "lpot_core.tuner" in modules and "lpot_core.strategies.tpe" in modules
    code = (
        f"import importlib, sys\nfor m in {modules!r}: importlib.import_module(m)\n"
        f"bad = [f for f in {FRAMEWORKS!r} if f in sys.modules]\n"
        "assert not bad, bad\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
