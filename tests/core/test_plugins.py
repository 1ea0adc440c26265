"""Plugin discovery, registration rules, and a third-party plugin used by name from YAML."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import tuning_config

from lpot_core import hookimpl, plugins
from lpot_core.api import quantize
from lpot_core.errors import PluginError


def test_builtins_register_through_entry_points():
    pm = plugins.get_plugin_manager()
    names = {row["name"]: row for row in plugins.describe(pm)}
    assert names["core-strategies"]["distribution"] == "lpot-core"
    assert "lpot_register_strategies" in names["core-strategies"]["hooks"]
    assert {"basic", "mse", "exhaustive", "random", "tpe"} <= set(plugins.strategies(pm))
    assert {"topk", "Accuracy", "MSE", "F1"} <= set(plugins.metrics(pm))
    assert {"dummy", "ImageFolder"} <= set(plugins.datasets(pm))


def test_autoload_can_be_disabled(monkeypatch):
    monkeypatch.setenv("LPOT_DISABLE_PLUGIN_AUTOLOAD", "1")
    pm = plugins.get_plugin_manager()
    assert plugins.strategies(pm) == {}
    import lpot_core.strategies

    pm.register(lpot_core.strategies)
    assert "basic" in plugins.strategies(pm)


def test_duplicate_names_name_both_plugins():
    class Intruder:
        @hookimpl
        def lpot_register_strategies(self, register):
            register("basic", object)

    pm = plugins.get_plugin_manager()
    pm.register(Intruder(), name="intruder")
    with pytest.raises(
        PluginError,
        match="'basic' is registered by both plugin 'core-strategies' and plugin 'intruder'",
    ):
        plugins.strategies(pm)


def test_third_party_plugin_is_listed_by_lpot_plugins():
    out = subprocess.run(
        [sys.executable, "-m", "lpot_core.cli", "plugins", "--json"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    data = json.loads(out)
    example = next(p for p in data["plugins"] if p["name"] == "example")
    assert example["distribution"] == "lpot-example-plugin" and example["version"] == "0.3.1"
    assert example["hooks"] == [
        "lpot_register_adaptors",
        "lpot_register_metrics",
        "lpot_register_strategies",
    ]
    assert "last-first" in data["registered"]["strategies"]
    assert "error_rate" in data["registered"]["metrics"]


def test_third_party_strategy_and_metric_used_by_name_from_yaml(pm, sensitive, tmp_path):
    model, calib, evalset = sensitive
    cfg = tuning_config(
        tmp_path, strategy={"name": "last-first"}, accuracy_criterion={"absolute": 0.01}
    )
    cfg["evaluation"]["accuracy"] = {"metric": {"error_rate": {}}}
    conf = tmp_path / "conf.yaml"
    import yaml

    conf.write_text(yaml.safe_dump(cfg))
    result = quantize(
        model, str(conf), calib_dataloader=calib, eval_dataloader=evalset, plugin_manager=pm
    )
    # error_rate is lower-is-better: the criterion follows the metric
    assert result.baseline.accuracy == 0.0
    assert result.met_goal and result.best.accuracy <= 0.01
    assert {"fc2", "fc4"} <= set(result.best.config.fp32_ops)
    assert result.trials[0].config.fp32_ops == []
    assert result.trials[1].config.fp32_ops == ["fc6"]  # last op first
