"""YAML paths: variables and defaults expand; an unset variable and a missing dataset file
get errors that name the YAML key."""

from __future__ import annotations

import pytest
from conftest import tuning_config

from lpot_core.api import quantize
from lpot_core.errors import ConfigError, DataError
from lpot_core.paths import expand


def test_variables_defaults_and_home_expand(monkeypatch, tmp_path):
    monkeypatch.setenv("LPOT_TEST_DIR", str(tmp_path))
    monkeypatch.delenv("LPOT_TEST_UNSET", raising=False)
    monkeypatch.setenv("HOME", "/home/me")
    assert expand("${LPOT_TEST_DIR}/m.onnx") == f"{tmp_path}/m.onnx"
    assert expand("$LPOT_TEST_DIR/m.onnx") == f"{tmp_path}/m.onnx"
    assert expand("${LPOT_TEST_UNSET:-~/cache}/m.onnx") == "/home/me/cache/m.onnx"


def test_an_unset_variable_names_the_key_and_the_variable(monkeypatch):
    monkeypatch.delenv("LPOT_TEST_UNSET", raising=False)
    with pytest.raises(ConfigError, match=r"^model.path: environment variable LPOT_TEST_UNSET"):
        expand("${LPOT_TEST_UNSET}/m.onnx", "model.path")


def test_a_missing_dataset_file_names_the_dataloader_section(pm, sensitive, tmp_path):
    model, _, evalset = sensitive
    config = tuning_config(tmp_path)
    config["quantization"]["calibration"]["dataloader"] = {
        "batch_size": 8,
        "dataset": {"NumpyFile": {"path": str(tmp_path / "missing.npz")}},
    }
    with pytest.raises(DataError, match=r"^quantization.calibration.dataloader.dataset: Numpy"):
        quantize(model, config, eval_dataloader=evalset, metric="topk", plugin_manager=pm)
