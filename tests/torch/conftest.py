"""Fixtures for the PyTorch backend tests: real MNIST digits and the pretrained MNIST CNN."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("torchao")

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples"))
import zoo  # noqa: E402

from lpot_core import plugins  # noqa: E402
from lpot_core.data import DataLoader  # noqa: E402


@pytest.fixture
def pm():
    """A fresh plugin manager loading installed entry points (lpot-torch among them)."""
    return plugins.get_plugin_manager(load_entrypoints=True)


@pytest.fixture(scope="session")
def mnist() -> tuple[np.ndarray, np.ndarray]:
    """(float32 NCHW normalized inputs, int64 labels) of 5,000 real MNIST digits."""
    x, y = zoo.mnist_digits()
    return zoo.mnist_inputs(x), y


@pytest.fixture(scope="session")
def mnist_cnn():
    """The pretrained digit-recognizer CNN (FP32, eval mode)."""
    return zoo.mnist_cnn().eval()


@pytest.fixture
def calib(mnist) -> DataLoader:
    x, y = mnist
    return DataLoader.from_arrays(x[:100], y[:100], batch_size=50)


@pytest.fixture
def evalset(mnist) -> DataLoader:
    x, y = mnist
    return DataLoader.from_arrays(x[1000:1600], y[1000:1600], batch_size=200)


def top1(adaptor, model, loader) -> float:
    hits = [np.argmax(adaptor.predict(model, x), 1) == y for x, y in loader]
    return float(np.mean(np.concatenate(hits)))
