"""Tuning through lpot's tuner with the PyTorch backend, on real digits."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from lpot_core.api import quantize
from lpot_core.data import DataLoader


def _config(tmp_path, strategy: str = "basic", max_trials: int = 20) -> dict:
    return {
        "model": {
            "name": "mnist_cnn",
            "framework": "pytorch",
            "options": {"latency_backend": "eager"},
        },  # no compile in tests
        "quantization": {"calibration": {"sampling_size": [100]}},
        "evaluation": {"performance": {"warmup": 1, "iteration": 3}},
        "tuning": {
            "strategy": {"name": strategy},
            "accuracy_criterion": {"relative": 0.01},
            "exit_policy": {"timeout": 0, "max_trials": max_trials},
            "random_seed": 3,
            "workspace": {"path": str(tmp_path)},
        },
    }


def with_outlier_unit(
    model: torch.nn.Module, x: np.ndarray, factor: float = 3e4
) -> torch.nn.Module:
    """The same function, but the most active hidden unit of fc_layers.0 (on ``x``) is
    ``factor`` times larger and
    fc_layers.2 divides it back: fc_layers.2's input gets a range that 7-bit per-tensor
    activations cannot resolve, so fc_layers.2 must stay FP32 (and only it)."""
    model = copy.deepcopy(model)
    fc0, fc2 = model.fc_layers[0], model.fc_layers[2]
    with torch.no_grad():
        hidden = model.fc_layers[:2](torch.flatten(model.conv_layers(torch.from_numpy(x)), 1))
        unit = int(hidden.mean(0).argmax())
        fc0.weight[unit] *= factor
        fc0.bias[unit] *= factor
        fc2.weight[:, unit] /= factor
    return model


def test_default_config_meets_the_goal_in_one_trial(mnist, mnist_cnn, pm, tmp_path):
    x, y = mnist
    result = quantize(
        mnist_cnn,
        _config(tmp_path),
        plugin_manager=pm,
        calib_dataloader=DataLoader.from_arrays(x[:100], y[:100], batch_size=50),
        eval_dataloader=DataLoader.from_arrays(x[1000:1600], y[1000:1600], batch_size=200),
        metric={"topk": 1},
    )
    assert result.met_goal and len(result.trials) == 1  # the default INT8 config
    assert result.best.accuracy >= result.baseline.accuracy - 0.01
    assert result.model_path.suffix == ".pt2" and result.model_path.is_file()


@pytest.mark.parametrize("strategy", ["basic", "mse"])
def test_sensitive_ops_fall_back_to_fp32(mnist, mnist_cnn, pm, tmp_path, strategy):
    x, y = mnist
    model = with_outlier_unit(mnist_cnn, x[:200])
    evalset = DataLoader.from_arrays(x[1000:1600], y[1000:1600], batch_size=200)
    with torch.no_grad():  # the rewrite kept the FP32 function
        a, b = torch.from_numpy(x[:64]), mnist_cnn(torch.from_numpy(x[:64]))
        np.testing.assert_allclose(model(a).numpy(), b.numpy(), rtol=1e-3, atol=1e-3)
    result = quantize(
        model,
        _config(tmp_path, strategy),
        plugin_manager=pm,
        calib_dataloader=DataLoader.from_arrays(x[:100], y[:100], batch_size=50),
        eval_dataloader=evalset,
        metric={"topk": 1},
    )
    default_trial = result.trials[0]
    assert default_trial.accuracy < result.baseline.accuracy - 0.05  # INT8 everywhere fails
    assert result.met_goal, [(t.accuracy, t.config and t.config.fp32_ops) for t in result.trials]
    # op-type-wise fallback (all Linear) may come first and already meet the goal
    fp32_ops = result.best.config.fp32_ops
    assert "fc_layers.2" in fp32_ops and set(fp32_ops) <= {"fc_layers.0", "fc_layers.2"}
    assert len(result.trials) <= 12
