"""The quantize-evaluate loop end to end on the numpy reference backend."""

from __future__ import annotations

import copy
import json
import time

import numpy as np
import pytest
from conftest import tuning_config

from lpot_core.api import Quantization, quantize
from lpot_core.data import DataLoader
from lpot_core.errors import (
    AdaptorNotFoundError,
    BaselineError,
    ConfigError,
    DataError,
    LpotError,
    TuningInterrupted,
)
from lpot_core.testing.numpy_adaptor import NumpyAdaptor, NumpyModel


def is_quantized(model: NumpyModel) -> bool:
    return any(layer.act_q is not None for layer in model.layers)


def test_basic_meets_goal_by_falling_back_the_two_sensitive_layers(pm, sensitive, tmp_path):
    model, calib, evalset = sensitive
    result = quantize(
        model,
        tuning_config(tmp_path),
        calib_dataloader=calib,
        eval_dataloader=evalset,
        metric={"topk": 1},
        plugin_manager=pm,
    )
    assert result.met_goal and result.stop_reason == "goal_met"
    assert result.baseline.accuracy == 1.0
    assert result.best.accuracy >= 0.99
    assert sorted(result.best.config.fp32_ops) == ["fc2", "fc4"]
    # calibration ran once, although every trial quantized anew
    assert NumpyAdaptor.counts["calibrate"] == 1
    assert NumpyAdaptor.counts["quantize"] == len(result.trials)
    # the saved model is the best one and reloads to the same predictions
    assert result.model_path.is_file()
    x = next(iter(evalset))[0]
    reloaded = NumpyAdaptor("numpy").load(result.model_path)
    np.testing.assert_allclose(reloaded(x), result.model(x), rtol=1e-6)
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["met_goal"] and report["trials"] == len(result.trials)
    assert "| sensitive | numpy | 1.0000 |" in str(result)


def test_users_model_is_never_mutated(pm, sensitive, tmp_path):
    model, calib, evalset = sensitive
    before = [layer.weight.copy() for layer in model.layers]
    quantize(
        model,
        tuning_config(tmp_path),
        calib_dataloader=calib,
        eval_dataloader=evalset,
        metric={"topk": 1},
        plugin_manager=pm,
    )
    assert all(np.array_equal(a, la.weight) for a, la in zip(before, model.layers, strict=True))
    assert not is_quantized(model)


def test_goal_never_met_returns_best_so_far_and_saves_it(pm, sensitive, tmp_path):
    model, calib, _evalset = sensitive

    def eval_func(m: NumpyModel) -> float:  # every quantized model misses the goal
        return 0.9 if is_quantized(m) else 1.0

    result = quantize(
        model,
        tuning_config(tmp_path, exit_policy={"max_trials": 6}),
        calib_dataloader=calib,
        eval_func=eval_func,
        plugin_manager=pm,
    )
    assert result is not None and not result.met_goal
    assert result.stop_reason == "max_trials" and len(result.trials) == 6
    assert result.model is not None and result.model_path.is_file()
    assert result.best.accuracy == 0.9
    assert "did NOT meet" in str(result)


def test_timeout_is_honoured_within_a_second(pm, sensitive, tmp_path):
    model, calib, _ = sensitive

    def slow_eval(m: NumpyModel) -> float:
        time.sleep(0.15)
        return 0.5 if is_quantized(m) else 1.0

    start = time.monotonic()
    result = quantize(
        model,
        tuning_config(tmp_path, exit_policy={"timeout": 1.5, "max_trials": 1000}),
        calib_dataloader=calib,
        eval_func=slow_eval,
        plugin_manager=pm,
    )
    elapsed = time.monotonic() - start
    assert result.stop_reason == "timeout" and not result.met_goal
    assert 1.5 <= elapsed < 2.5, elapsed


def test_timeout_keeps_tuning_for_a_better_objective(pm, sensitive, tmp_path):
    model, calib, evalset = sensitive
    result = quantize(
        model,
        tuning_config(
            tmp_path, exit_policy={"timeout": 3, "max_trials": 40}, objective="modelsize"
        ),
        calib_dataloader=calib,
        eval_dataloader=evalset,
        metric={"topk": 1},
        plugin_manager=pm,
    )
    met = [t for t in result.trials if t.met_goal]
    assert result.met_goal and len(result.trials) > 1
    assert result.best.objective == min(t.objective for t in met)


def test_zero_baseline_with_relative_criterion_is_a_clear_error(pm, sensitive, tmp_path):
    model, calib, _ = sensitive
    with pytest.raises(BaselineError, match="baseline accuracy is 0.*absolute"):
        quantize(
            model,
            tuning_config(tmp_path),
            calib_dataloader=calib,
            eval_func=lambda m: 0.0,
            plugin_manager=pm,
        )


def test_absolute_criterion_accepts_zero_baseline(pm, sensitive, tmp_path):
    model, calib, _ = sensitive
    result = quantize(
        model,
        tuning_config(tmp_path, accuracy_criterion={"absolute": 0.1}),
        calib_dataloader=calib,
        eval_func=lambda m: 0.0,
        plugin_manager=pm,
    )
    assert result.met_goal and len(result.trials) == 1


def test_lower_is_better_metric_flips_the_criterion(pm, sensitive, tmp_path):
    model, calib, _ = sensitive
    x = next(iter(calib))[0]
    ref = model(x)

    def mse(m: NumpyModel) -> float:  # an error: lower is better
        return float(np.mean((m(x) - ref) ** 2)) + 1.0

    cfg = tuning_config(tmp_path, accuracy_criterion={"relative": 0.01, "higher_is_better": False})
    result = quantize(model, cfg, calib_dataloader=calib, eval_func=mse, plugin_manager=pm)
    assert result.met_goal
    assert result.best.accuracy <= 1.01 * result.baseline.accuracy


def test_errors_from_the_users_eval_code_surface_and_history_survives(pm, sensitive, tmp_path):
    model, calib, _ = sensitive
    calls = []

    def broken(m: NumpyModel) -> float:
        calls.append(1)
        if len(calls) == 3:
            raise ZeroDivisionError("bug in user code")
        return 0.5 if is_quantized(m) else 1.0

    with pytest.raises(ZeroDivisionError, match="bug in user code"):
        quantize(
            model,
            tuning_config(tmp_path),
            calib_dataloader=calib,
            eval_func=broken,
            plugin_manager=pm,
        )
    lines = (tmp_path / "history.jsonl").read_text().splitlines()
    assert len(lines) == 1 + 2  # header, baseline, first trial


def test_ctrl_c_stops_the_caller_and_leaves_a_resumable_result(pm, sensitive, tmp_path):
    model, calib, _ = sensitive
    calls = []

    def interrupted(m: NumpyModel) -> float:
        calls.append(1)
        if len(calls) == 4:
            raise KeyboardInterrupt
        return 0.5 if is_quantized(m) else 1.0

    with pytest.raises(KeyboardInterrupt) as stop:  # a script's loop must stop too
        quantize(
            model,
            tuning_config(tmp_path),
            calib_dataloader=calib,
            eval_func=interrupted,
            plugin_manager=pm,
        )
    assert isinstance(stop.value, TuningInterrupted)
    result = stop.value.result
    assert result.stop_reason == "interrupted" and len(result.trials) == 2
    assert result.model_path.is_file()  # best so far is saved

    calls.clear()
    again = quantize(
        model,
        tuning_config(tmp_path, exit_policy={"max_trials": 5}),
        calib_dataloader=calib,
        eval_func=interrupted,
        plugin_manager=pm,
    )
    assert [t.replayed for t in again.trials[:2]] == [True, True]
    assert len(calls) == 3  # baseline and two trials replayed; three new trials evaluated


def test_eval_returning_a_string_is_an_error(pm, sensitive, tmp_path):
    model, calib, _ = sensitive
    with pytest.raises(LpotError, match="returned '0.9'; it must return one number"):
        quantize(
            model,
            tuning_config(tmp_path),
            calib_dataloader=calib,
            eval_func=lambda m: "0.9",
            plugin_manager=pm,
        )


def test_bad_calibration_data_fails_fast_instead_of_failing_every_trial(pm, sensitive, tmp_path):
    model, calib, evalset = sensitive
    x, y = next(iter(calib))
    wide = DataLoader.from_arrays(np.concatenate([x, x], axis=1), y, batch_size=32)
    with pytest.raises(DataError):
        quantize(
            model,
            tuning_config(tmp_path),
            calib_dataloader=wide,
            eval_dataloader=evalset,
            metric={"topk": 1},
            plugin_manager=pm,
        )


def test_unwritable_workspace_is_a_config_error(pm, sensitive, tmp_path):
    model, calib, evalset = sensitive
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match="tuning.workspace.path: cannot use"):
        quantize(
            model,
            tuning_config(tmp_path / "file"),
            calib_dataloader=calib,
            eval_dataloader=evalset,
            metric={"topk": 1},
            plugin_manager=pm,
        )


def test_changed_config_starts_fresh_and_keeps_old_history(pm, sensitive, tmp_path):
    model, calib, evalset = sensitive
    kw = dict(
        calib_dataloader=calib, eval_dataloader=evalset, metric={"topk": 1}, plugin_manager=pm
    )
    quantize(model, tuning_config(tmp_path), **kw)
    second = quantize(model, tuning_config(tmp_path, accuracy_criterion={"relative": 0.02}), **kw)
    assert not any(t.replayed for t in second.trials)
    assert len(list(tmp_path.glob("history-*.jsonl"))) == 1


def test_another_strategy_reuses_recorded_trials(pm, sensitive, tmp_path):
    model, calib, evalset = sensitive
    kw = dict(
        calib_dataloader=calib, eval_dataloader=evalset, metric={"topk": 1}, plugin_manager=pm
    )
    first = quantize(model, tuning_config(tmp_path), **kw)
    NumpyAdaptor.reset_counts()
    second = quantize(
        model, tuning_config(tmp_path, strategy={"name": "random"}, random_seed=3), **kw
    )
    assert second.trials[0].replayed  # the default config was evaluated by `basic`
    assert second.trials[0].accuracy == first.trials[0].accuracy
    assert NumpyAdaptor.counts["evaluate"] == sum(not t.replayed for t in second.trials)
    assert not list(tmp_path.glob("history-*.jsonl"))


def test_explicit_resume_from_a_foreign_history_is_refused(pm, sensitive, tmp_path):
    model, calib, evalset = sensitive
    kw = dict(
        calib_dataloader=calib, eval_dataloader=evalset, metric={"topk": 1}, plugin_manager=pm
    )
    quantize(model, tuning_config(tmp_path / "a"), **kw)
    cfg = tuning_config(
        tmp_path / "b",
        accuracy_criterion={"absolute": 0.5},
        workspace={"path": str(tmp_path / "b"), "resume": str(tmp_path / "a" / "history.jsonl")},
    )
    with pytest.raises(Exception, match="cannot resume .*different config"):
        quantize(model, cfg, **kw)


def test_missing_evaluation_is_a_config_error(pm, sensitive, tmp_path):
    model, calib, _ = sensitive
    with pytest.raises(ConfigError, match="eval_func"):
        quantize(model, tuning_config(tmp_path), calib_dataloader=calib, plugin_manager=pm)


def test_model_no_backend_accepts_names_installed_ones(pm, tmp_path):
    with pytest.raises(
        AdaptorNotFoundError, match="installed frameworks: .*numpy.*pip install ./plugins/lpot_onnx"
    ):
        quantize(
            object(),
            {"tuning": {"workspace": {"path": str(tmp_path)}}},
            eval_func=lambda m: 1.0,
            plugin_manager=pm,
        )


def test_unknown_framework_names_the_package_to_install(pm, sensitive, tmp_path):
    model, calib, _ = sensitive
    with pytest.raises(AdaptorNotFoundError, match="lpot-mxnet backend is planned"):
        quantize(
            model,
            {"model": {"framework": "mxnet"}},
            calib_dataloader=calib,
            eval_func=lambda m: 1.0,
            plugin_manager=pm,
        )


def test_lpot_style_quantization_object(pm, sensitive, tmp_path):
    model, calib, evalset = sensitive
    q = Quantization(tuning_config(tmp_path))
    q.model, q.calib_dataloader, q.eval_dataloader = model, calib, evalset
    q.metric, q.plugin_manager = {"topk": 1}, pm
    assert q().met_goal


def test_sampling_sizes_calibrate_once_each(pm, sensitive, tmp_path):
    model, calib, evalset = sensitive
    cfg = tuning_config(tmp_path, exit_policy={"max_trials": 30})
    cfg["quantization"]["calibration"]["sampling_size"] = [64, 128]
    cfg["tuning"]["accuracy_criterion"] = {"absolute": 0.0}  # unreachable: walk the space
    quantize(
        model,
        cfg,
        calib_dataloader=calib,
        eval_dataloader=evalset,
        metric={"topk": 1},
        plugin_manager=pm,
    )
    assert NumpyAdaptor.counts["calibrate"] == 2


def _three_trials(pm, sensitive, tmp_path):
    """Tune three trials into ``tmp_path``: (rerun, config, history path); ``rerun(cfg)``
    runs the same tuning again."""
    model, calib, evalset = sensitive
    kw = dict(
        calib_dataloader=calib, eval_dataloader=evalset, metric={"topk": 1}, plugin_manager=pm
    )
    cfg = tuning_config(
        tmp_path, exit_policy={"max_trials": 3}, accuracy_criterion={"absolute": 0.0}
    )
    quantize(model, cfg, **kw)
    return (lambda c: quantize(model, c, **kw)), cfg, tmp_path / "history.jsonl"


def test_a_record_cut_short_by_a_crash_is_dropped_and_appends_stay_clean(pm, sensitive, tmp_path):
    rerun, cfg, history = _three_trials(pm, sensitive, tmp_path)
    with history.open("a") as f:
        f.write('{"index": 4, "key": "abc", "config": {"appro')  # killed mid-write
    cfg["tuning"]["exit_policy"]["max_trials"] = 5
    second = rerun(cfg)
    assert [t.replayed for t in second.trials] == [True] * 3 + [False] * 2
    lines = history.read_text().splitlines()
    assert all(json.loads(line) for line in lines)  # every line is a whole record again
    third = rerun(cfg)
    assert all(t.replayed for t in third.trials)


def test_a_damaged_record_mid_file_costs_only_that_trial(pm, sensitive, tmp_path, caplog):
    rerun, cfg, history = _three_trials(pm, sensitive, tmp_path)
    lines = history.read_text().splitlines()
    assert len(lines) == 1 + 1 + 3  # header, baseline, three trials
    lines[3] = lines[3][: len(lines[3]) // 2] + "\x00garbage"  # trial 2 damaged in place
    history.write_text("\n".join(lines) + "\n")
    with caplog.at_level("WARNING", logger="lpot_core.history"):
        second = rerun(cfg)
    assert "skipped 1 unreadable trial record(s) (line 4)" in caplog.text
    assert [t.replayed for t in second.trials] == [True, False, True]
    assert "| 3 (2 replayed) |" in str(second)  # the result table's Trials column
    assert all(json.loads(line) for line in history.read_text().splitlines())
    third = rerun(cfg)
    assert all(t.replayed for t in third.trials)


def test_a_space_with_nothing_to_quantize_is_a_config_error(pm, sensitive, tmp_path):
    model, calib, evalset = sensitive
    config = tuning_config(tmp_path)
    config["quantization"]["model_wise"] = {"activation": {"dtype": ["fp32"]}}
    with pytest.raises(ConfigError, match="nothing to quantize: every op is FP32"):
        quantize(
            model,
            config,
            calib_dataloader=calib,
            eval_dataloader=evalset,
            metric="topk",
            plugin_manager=pm,
        )


def test_a_config_error_leaves_the_history_in_place(pm, sensitive, tmp_path):
    """A changed config with a typo fails before the old history is moved aside: fixing
    the typo (or going back) still resumes."""
    rerun, cfg, history = _three_trials(pm, sensitive, tmp_path)
    before = history.read_bytes()
    changed = copy.deepcopy(cfg)
    changed["quantization"]["calibration"]["sampling_size"] = 64  # a different run...
    changed["tuning"]["strategy"]["max_trim_trial"] = 3  # ...with a typo
    with pytest.raises(ConfigError, match="did you mean 'max_trim_trials'"):
        rerun(changed)
    assert history.read_bytes() == before
    assert [p.name for p in tmp_path.glob("history*.jsonl")] == ["history.jsonl"]
    assert all(t.replayed for t in rerun(cfg).trials)


def test_a_sampling_size_beyond_the_data_is_reported(pm, sensitive, tmp_path, caplog):
    model, calib, evalset = sensitive
    config = tuning_config(tmp_path, exit_policy={"max_trials": 1})
    config["quantization"]["calibration"]["sampling_size"] = 100000
    with caplog.at_level("WARNING", logger="lpot_core.tuner"):
        quantize(
            model,
            config,
            calib_dataloader=calib,
            eval_dataloader=evalset,
            plugin_manager=pm,
            metric="topk",
        )
    held = len(calib.dataset)
    assert f"sampling_size is 100000 but the calibration data holds {held} samples" in caplog.text
