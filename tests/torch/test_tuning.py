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


def with_outlier_channel(
    model: torch.nn.Module, x: np.ndarray, factor: float = 1e3
) -> torch.nn.Module:
    """The same function, but the most active channel of conv_layers.6 (on ``x``) is
    ``factor`` times larger and fc_layers.0 divides it back (ReLU and max pooling commute
    with the scaling): that tensor gets a range 8-bit per-tensor activations cannot
    resolve, so both its producer and its consumer must stay FP32."""
    model = copy.deepcopy(model)
    conv, fc0 = model.conv_layers[6], model.fc_layers[0]
    with torch.no_grad():
        channel = int(model.conv_layers(torch.from_numpy(x)).mean((0, 2, 3)).argmax())
        conv.weight[channel] *= factor
        conv.bias[channel] *= factor
        fc0.weight.view(fc0.out_features, conv.out_channels, -1)[:, channel] /= factor
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
    model = with_outlier_channel(mnist_cnn, x[:200])
    evalset = DataLoader.from_arrays(x[1000:1600], y[1000:1600], batch_size=200)
    with torch.no_grad():  # the rewrite kept the FP32 function
        a, b = torch.from_numpy(x[:64]), mnist_cnn(torch.from_numpy(x[:64]))
        np.testing.assert_allclose(model(a).numpy(), b.numpy(), rtol=1e-3, atol=1e-3)
    result = quantize(
        model,
        _config(tmp_path, strategy, max_trials=30),
        plugin_manager=pm,
        calib_dataloader=DataLoader.from_arrays(x[:100], y[:100], batch_size=50),
        eval_dataloader=evalset,
        metric={"topk": 1},
    )
    default_trial = result.trials[0]
    assert default_trial.accuracy < result.baseline.accuracy - 0.05  # INT8 everywhere fails
    assert result.met_goal, [(t.accuracy, t.config and t.config.fp32_ops) for t in result.trials]
    # no single op's fallback helps (all score alike): basic needs its cumulative stage,
    # mse its error ranking; the tiny fc_layers.2 head starts FP32 anyway (faster)
    fp32_ops = set(result.best.config.fp32_ops)
    assert {"conv_layers.6", "fc_layers.0"} <= fp32_ops, fp32_ops
    assert fp32_ops <= {"conv_layers.6", "conv_layers.8", "flatten", "fc_layers.0", "fc_layers.2"}
    assert len(result.trials) <= 25
