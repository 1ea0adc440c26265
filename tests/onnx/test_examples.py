"""The example configs (``examples/onnx/<name>/conf.yaml``) are valid and point at the
files ``examples/prepare.py`` writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from lpot_core.config import load_config

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "onnx"
#: example -> the prepared data it uses (examples/prepare.py NAME)
DATA = {
    "mnist": "mnist",
    "fashion_cnn": "fashion_cnn",
    "efficientnet_lite0": "efficientnet_lite0",
    "minilm_spam": "minilm_spam",
    "minilm_spam_static": "minilm_spam",
}
NAMES = list(DATA)


@pytest.mark.parametrize("name", NAMES)
def test_example_config_loads(name):
    cfg = load_config(str(EXAMPLES / name / "conf.yaml"))
    data = DATA[name]
    assert cfg.model.path == f"${{LPOT_CACHE:-~/.cache/lpot}}/examples/{data}/model.onnx"
    assert cfg.tuning.strategy.name == "basic"
    assert cfg.tuning.accuracy_criterion.relative == 0.01
    loaders = [cfg.quantization.calibration.dataloader, cfg.evaluation.accuracy.dataloader]
    for loader, file in zip(loaders, ["calib.npz", "eval.npz"], strict=True):
        dataset, params = loader.dataset
        assert dataset == "NumpyFile"
        assert params["path"] == f"${{LPOT_CACHE:-~/.cache/lpot}}/examples/{data}/{file}"
        if data == "minilm_spam":
            assert list(params["inputs"]) == ["input_ids", "attention_mask"]


def test_no_top_level_placeholder_configs():
    assert sorted(p.name for p in EXAMPLES.glob("*.yaml")) == []
    assert sorted(p.parent.name for p in EXAMPLES.glob("*/conf.yaml")) == sorted(NAMES)
