"""Shared fixtures for the core tests: a fresh plugin manager with the numpy backend."""

from __future__ import annotations

from pathlib import Path

import pluggy
import pytest

from lpot_core import plugins
from lpot_core.data import DataLoader
from lpot_core.testing import numpy_adaptor
from lpot_core.testing.models import make_sensitive_model
from lpot_core.testing.numpy_adaptor import NumpyAdaptor


@pytest.fixture
def pm() -> pluggy.PluginManager:
    """A fresh manager: entry-point plugins plus the numpy reference backend."""
    manager = plugins.get_plugin_manager()
    if not manager.is_registered(numpy_adaptor):
        manager.register(numpy_adaptor)
    return manager


@pytest.fixture
def sensitive():
    """(model, calibration loader, eval loader) where fc2 and fc4 must stay FP32."""
    model, x, y = make_sensitive_model(seed=0)
    NumpyAdaptor.reset_counts()
    return (
        model,
        DataLoader.from_arrays(x[:128], y[:128], batch_size=64),
        DataLoader.from_arrays(x, y, batch_size=128),
    )


def tuning_config(ws: Path, **tuning) -> dict:
    """A config dict for the numpy backend with ``tuning`` entries merged in."""
    base = {
        "strategy": {"name": "basic"},
        "accuracy_criterion": {"relative": 0.01},
        "exit_policy": {"timeout": 0, "max_trials": 50},
        "random_seed": 7,
        "workspace": {"path": str(ws)},
    }
    base.update(tuning)
    return {
        "model": {"name": "sensitive", "framework": "numpy"},
        "quantization": {"calibration": {"sampling_size": 128}},
        "evaluation": {"performance": {"warmup": 1, "iteration": 3}},
        "tuning": base,
    }
