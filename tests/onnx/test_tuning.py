"""End-to-end tuning through ``lpot_core.api.quantize`` on the zoo's real models and data."""

from __future__ import annotations

import numpy as np
import pytest
import zoo
from lpot_onnx.model import OnnxModel

from lpot_core.api import quantize
from lpot_core.data import DataLoader
from lpot_core.report import result_table


def _config(
    framework: str,
    workspace,
    approach: str = "post_training_static_quant",
    sampling_size: int = 100,
    relative: float = 0.01,
) -> dict:
    return {
        "model": {"framework": framework, "name": "model"},
        "quantization": {"approach": approach, "calibration": {"sampling_size": [sampling_size]}},
        "evaluation": {
            "accuracy": {"metric": {"topk": 1}},
            "performance": {"warmup": 1, "iteration": 5},
        },
        "tuning": {
            "strategy": {"name": "basic"},
            "accuracy_criterion": {"relative": relative},
            "exit_policy": {"timeout": 0, "max_trials": 8},
            "workspace": {"path": str(workspace)},
        },
    }


@pytest.mark.parametrize(
    ("framework", "approach"),
    [
        ("onnxrt_qdq", "post_training_static_quant"),
        ("onnxrt_qlinearops", "post_training_static_quant"),
        ("onnxrt_integerops", "post_training_dynamic_quant"),
    ],
)
def test_mnist_cnn_meets_the_goal(framework, approach, mnist_path, mnist, tmp_path):
    x, y = mnist
    result = quantize(
        mnist_path,
        _config(framework, tmp_path, approach),
        calib_dataloader=DataLoader.from_arrays(x[:100], y[:100], batch_size=50),
        eval_dataloader=DataLoader.from_arrays(x[1000:2000], y[1000:2000], batch_size=250),
    )
    assert result.met_goal, str(result)
    assert result.baseline.accuracy > 0.98
    assert result.best.accuracy >= result.baseline.accuracy * 0.99
    assert isinstance(result.model, OnnxModel) and result.model.kind != "fp32"
    assert result.model_path is not None and result.model_path.suffix == ".onnx"
    if framework == "onnxrt_qlinearops":
        # conv1 starts FP32 (slow in INT8), so QOperator has no quantized input for the
        # Relu and MaxPool after it: they stay FP32 too, and the report says so
        assert result.best.config.fp32_ops == ["/conv_layers/conv_layers.0/Conv"]
        declined = ["/conv_layers/conv_layers.1/Relu", "/conv_layers/conv_layers.2/MaxPool"]
        assert result.declined_ops == declined
        assert "1 op(s) left in FP32 (+2 the backend did not quantize: " in result_table(result)


def test_fashion_cnn_qoperator(tmp_path):
    x, y = zoo.fashion_mnist("test")
    x = zoo.fashion_inputs(x)
    result = quantize(
        zoo.fashion_cnn_onnx(),
        _config("onnxrt_qlinearops", tmp_path),
        calib_dataloader=DataLoader.from_arrays(x[:100], y[:100], batch_size=50),
        eval_dataloader=DataLoader.from_arrays(x[5000:7000], y[5000:7000], batch_size=500),
    )
    assert result.baseline.accuracy > 0.85
    assert result.met_goal, str(result)


def test_efficientnet_lite0_qdq(tmp_path):
    """ImageNet EfficientNet-Lite0 on foolbox's 20 labelled ImageNet images (a smoke-sized
    but real check: FP32 and INT8 must agree on the top-1 class)."""
    x, y = zoo.imagenet_samples()
    result = quantize(
        zoo.efficientnet_lite0_onnx(),
        _config("onnxrt_qdq", tmp_path, sampling_size=20),
        calib_dataloader=DataLoader.from_arrays(x, y, batch_size=10),
        eval_dataloader=DataLoader.from_arrays(x, y, batch_size=10),
    )
    assert result.baseline.accuracy >= 0.8
    assert result.met_goal, str(result)
    assert len([n for n in result.model.proto.graph.node if n.op_type == "QuantizeLinear"]) > 40
    assert np.isfinite(result.best.objective)
