"""Fixtures for the ONNX Runtime backend tests: real MNIST digits and the pretrained MNIST
CNN from the zoo, plus tiny hand-built ONNX graphs for the error paths."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples"))
import zoo  # noqa: E402
from lpot_onnx.adaptor import OnnxAdaptor  # noqa: E402

from lpot_core.data import DataLoader  # noqa: E402


@pytest.fixture(scope="session")
def mnist() -> tuple[np.ndarray, np.ndarray]:
    """5,000 real MNIST digits, shuffled once (the source is sorted by label)."""
    x, y = zoo.mnist_digits()
    order = np.random.default_rng(0).permutation(len(x))
    return zoo.mnist_inputs(x[order]), y[order]


@pytest.fixture(scope="session")
def mnist_path() -> Path:
    """The pretrained digit-recognizer CNN exported to ONNX (opset 17)."""
    return zoo.mnist_cnn_onnx()


@pytest.fixture
def calib(mnist) -> DataLoader:
    x, y = mnist
    return DataLoader.from_arrays(x[:100], y[:100], batch_size=50)


@pytest.fixture
def evalset(mnist) -> DataLoader:
    x, y = mnist
    return DataLoader.from_arrays(x[1000:2000], y[1000:2000], batch_size=250)


@pytest.fixture(scope="session")
def mnist_fp32(mnist_path):
    """The loaded (pre-processed) FP32 working copy, shared by read-only tests."""
    return OnnxAdaptor("onnxrt_qdq").load(mnist_path)


@pytest.fixture
def small_inputs() -> np.ndarray:
    return np.random.default_rng(1).normal(0, 1, (16, 3, 8, 8)).astype(np.float32)
