"""The `lpot` command end to end on the numpy reference backend."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

from lpot_core.testing.models import make_sensitive_model
from lpot_core.testing.numpy_adaptor import NumpyAdaptor


def lpot(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "lpot_core.cli", *args], capture_output=True, text=True, timeout=300
    )


@pytest.fixture
def conf(tmp_path: Path) -> Path:
    model, x, y = make_sensitive_model(seed=0)
    model_path = NumpyAdaptor("numpy").save(model, tmp_path / "model")
    np.savez(tmp_path / "data.npz", x=x, y=y)
    loader = {"batch_size": 64, "dataset": {"NumpyFile": {"path": str(tmp_path / "data.npz")}}}
    cfg = {
        "model": {"name": "sensitive", "framework": "numpy", "path": str(model_path)},
        "quantization": {"calibration": {"sampling_size": 128, "dataloader": loader}},
        "evaluation": {
            "accuracy": {"metric": {"topk": 1}, "dataloader": loader},
            "performance": {"warmup": 2, "iteration": 20, "dataloader": loader},
        },
        "tuning": {
            "accuracy_criterion": {"relative": 0.01},
            "workspace": {"path": str(tmp_path / "ws")},
        },
    }
    path = tmp_path / "conf.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


def test_quantize_then_benchmark(conf: Path):
    before = conf.read_bytes()
    done = lpot("quantize", str(conf))
    assert done.returncode == 0, done.stderr
    assert "| sensitive | numpy | 1.0000 |" in done.stdout
    assert "met the accuracy goal" in done.stdout
    assert (conf.parent / "ws" / "sensitive_int8.npz").is_file()
    assert conf.read_bytes() == before  # the user's YAML is never rewritten

    bench = lpot("benchmark", str(conf), "--iterations", "10")
    assert bench.returncode == 0, bench.stderr
    assert "| FP32 |" in bench.stdout and "| INT8 |" in bench.stdout

    moved = conf.parent / "moved"
    (conf.parent / "ws").rename(moved)
    bench = lpot("benchmark", str(conf), "--iterations", "5", "--workspace", str(moved))
    assert bench.returncode == 0, bench.stderr


def test_goal_missed_exits_1_with_the_table(conf: Path):
    done = lpot("quantize", str(conf), "--max-trials", "2")
    assert done.returncode == 1
    assert "did NOT meet the accuracy goal (stopped: max_trials)" in done.stdout


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda c: c["tuning"].update(strategy={"name": "basik"}), "did you mean 'basic'"),
        (lambda c: c["tuning"].update(objectiv="performance"), "did you mean 'objective'"),
        (lambda c: c["model"].update(path="/nonexistent/model.npz"), "no file or folder at"),
        (lambda c: c["model"].update(framework="mxnet"), "lpot-mxnet backend is planned"),
        (lambda c: c["tuning"].update(strategy={"max_trim_trial": 3}), "'max_trim_trials'?"),
    ],
)
def test_bad_input_exits_2_with_one_line(conf: Path, edit, expected):
    cfg = yaml.safe_load(conf.read_text())
    edit(cfg)
    conf.write_text(yaml.safe_dump(cfg))
    done = lpot("quantize", str(conf))
    assert done.returncode == 2
    reason = done.stderr.splitlines()[-1]
    assert reason.startswith("lpot: error: ") and expected in reason


def test_missing_config_file():
    done = lpot("quantize", "/nonexistent/conf.yaml")
    assert done.returncode == 2 and "/nonexistent/conf.yaml" in done.stderr


def test_benchmark_before_quantize_says_what_to_do(conf: Path):
    done = lpot("benchmark", str(conf))
    assert done.returncode == 2 and "run `lpot quantize" in done.stderr


def test_strategy_flag_drops_the_yaml_strategys_parameters(conf: Path):
    cfg = yaml.safe_load(conf.read_text())
    cfg["tuning"]["strategy"] = {"name": "basic", "max_trim_trials": 3}
    conf.write_text(yaml.safe_dump(cfg))
    done = lpot("quantize", str(conf), "--strategy", "random", "--max-trials", "3")
    assert done.returncode in (0, 1), done.stderr
    assert "--strategy random replaces basic; its parameters (max_trim_trials)" in done.stderr


def test_sigterm_saves_the_best_model_like_ctrl_c(conf: Path):
    """``kill``/``timeout`` stop a run as Ctrl-C does: table, model, resumable history."""
    history = conf.parent / "ws" / "history.jsonl"
    run = ["quantize", str(conf), "--strategy", "random", "--max-trials", "100000"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "lpot_core.cli", *run],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (
        not history.is_file() or len(history.read_text().splitlines()) < 4
    ):
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "| sensitive | numpy |" in out and "run the same command again" in err
    assert (conf.parent / "ws" / "sensitive_int8.npz").is_file()
