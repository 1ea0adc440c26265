"""The built-in strategies on the numpy backend: acceptance, determinism, edge cases."""

from __future__ import annotations

import re

import numpy as np
import pytest
from conftest import tuning_config

import lpot_core.strategies
from lpot_core import plugins
from lpot_core.api import quantize
from lpot_core.data import DataLoader
from lpot_core.errors import ConfigError
from lpot_core.result import Trial
from lpot_core.space import TuneConfig
from lpot_core.strategies.basic import BasicStrategy
from lpot_core.strategies.exhaustive import ExhaustiveStrategy, iter_space
from lpot_core.strategies.tpe import TPEStrategy
from lpot_core.testing.contracts import StrategyContract
from lpot_core.testing.driver import INT8_ONLY, NumpyBench, run_strategy
from lpot_core.testing.models import make_sensitive_model

NAMES = ["basic", "mse", "exhaustive", "random", "tpe"]
SENSITIVE = {"fc2", "fc4"}


@pytest.fixture(scope="module")
def registry() -> dict[str, type]:
    pm = plugins.get_plugin_manager(load_entrypoints=False)
    pm.register(lpot_core.strategies)
    return plugins.strategies(pm)


@pytest.fixture(scope="module")
def bench() -> NumpyBench:
    """The sensitive model over the small space: one INT8 choice or FP32 per op (2**6)."""
    model, x, y = make_sensitive_model(0)
    return NumpyBench(model, x, y, model_wise=INT8_ONLY)


def run(registry, bench, name, seed=0, max_trials=60, stop_on_goal=True, evaluate=None, **ctx):
    context = bench.context(seed=seed, max_trials=max_trials, **ctx)
    strategy = registry[name](bench.space, context)
    return run_strategy(
        strategy,
        evaluate or bench.accuracy,
        context.meets_goal,
        max_trials,
        stop_on_goal=stop_on_goal,
    )


def test_registered_by_name(registry):
    assert set(NAMES) <= set(registry)


def test_premise_both_sensitive_layers_must_fall_back(bench):
    default = bench.space.default()
    meets = bench.context().meets_goal
    assert not meets(bench.accuracy(default))
    assert not meets(bench.accuracy(default.fallback(["fc2"])))
    assert not meets(bench.accuracy(default.fallback(["fc4"])))
    assert meets(bench.accuracy(default.fallback(["fc2", "fc4"])))


@pytest.mark.parametrize("name", NAMES)
def test_every_strategy_reaches_the_goal_falling_back_the_sensitive_layers(registry, bench, name):
    trials = run(registry, bench, name)
    best = trials[-1]
    assert best.met_goal, f"{name} stopped after {len(trials)} trials without the goal"
    assert set(best.config.fp32_ops) >= SENSITIVE
    if name in ("basic", "mse", "exhaustive"):  # these look for the fewest fallbacks
        assert set(best.config.fp32_ops) == SENSITIVE
    assert len({t.key for t in trials}) == len(trials), "a config was proposed twice"


def test_basic_needs_fewer_trials_than_exhaustive(registry, bench):
    basic = run(registry, bench, "basic")
    exhaustive = run(registry, bench, "exhaustive")
    assert basic[-1].met_goal and exhaustive[-1].met_goal
    assert len(basic) < len(exhaustive)


def test_mse_ranks_without_sensitivity_trials(registry, bench):
    """With inspection, mse spends no trial on ranking; without, it measures like basic."""
    basic = run(registry, bench, "basic")
    mse = run(registry, bench, "mse")
    blind = run(registry, bench, "mse", inspect=False)
    assert len(mse) < len(basic)
    # blind mse: basic's sensitivity trials, without basic's op-type stage before them
    n_types, n_ops = len(bench.space.op_types()), len(bench.space.tunable_ops)
    assert blind[0].key == basic[0].key  # the default config
    sensitivity = [t.key for t in basic[1 + n_types : 1 + n_types + n_ops]]
    assert [t.key for t in blind[1 : 1 + n_ops]] == sensitivity
    assert not any(
        set(t.config.fp32_ops) == set(ops)
        for t in mse[1:]
        for ops in bench.space.op_types().values()
        if len(ops) > 1
    )


def test_mse_output_mode_reranks_and_still_finds_both(registry, bench):
    trials = run(registry, bench, "mse", params={"isolate": False})
    assert trials[-1].met_goal and set(trials[-1].config.fp32_ops) >= SENSITIVE


def test_basic_on_the_full_space_climbs_model_wise_then_falls_back(bench):
    model, x, y = make_sensitive_model(0)
    full = NumpyBench(model, x, y)
    context = full.context(max_trials=80)
    strategy = lpot_core.strategies.basic.BasicStrategy(full.space, context)
    trials = run_strategy(strategy, full.accuracy, context.meets_goal, 80)
    variants = {c.key for c in full.space.model_wise_variants(full.space.default())}
    assert trials[1].key in variants, "stage 2 must start with a model-wise variant"
    assert trials[-1].met_goal and set(trials[-1].config.fp32_ops) == SENSITIVE


@pytest.mark.parametrize("name", ["basic", "mse", "random", "tpe"])
def test_failed_trials_are_treated_as_worst(registry, bench, name):
    """Configs with fc1 quantized "crash": every strategy must route around them."""

    def flaky(cfg: TuneConfig) -> float:
        if not cfg.ops["fc1"].is_fp32 and cfg != bench.space.default():
            raise RuntimeError("backend crashed")
        return bench.accuracy(cfg)

    trials = run(registry, bench, name, evaluate=flaky)
    assert any(not t.ok for t in trials)
    assert trials[-1].met_goal and set(trials[-1].config.fp32_ops) >= SENSITIVE


def test_tpe_is_deterministic_per_seed(registry, bench):
    keys = [
        [t.key for t in run(registry, bench, "tpe", seed=s, max_trials=20, stop_on_goal=False)]
        for s in (11, 11, 12)
    ]
    assert len(keys[0]) == 20
    assert keys[0] == keys[1]
    assert keys[0] != keys[2]
    assert keys[0][0] == keys[2][0] == bench.space.default().key


def test_random_is_deterministic_and_exhausts_without_repeats(registry, bench):
    a = run(registry, bench, "random", seed=5, max_trials=100, stop_on_goal=False)
    b = run(registry, bench, "random", seed=5, max_trials=100, stop_on_goal=False)
    assert [t.key for t in a] == [t.key for t in b]
    assert len({t.key for t in a}) == len(a) == bench.space.size()  # then it stops


def test_tpe_prefers_goal_meeting_then_cheaper_configs(bench):
    tpe = TPEStrategy(bench.space, bench.context())
    default = bench.space.default()
    few, many = default.fallback(["fc2", "fc4"]), default.fallback(list(bench.space.ops))
    miss = Trial(1, default, accuracy=0.985, met_goal=False)
    assert (
        tpe.loss(few, Trial(2, few, accuracy=1.0, met_goal=True))
        < tpe.loss(many, Trial(3, many, accuracy=1.0, met_goal=True))
        < tpe.loss(default, miss)
    )
    assert tpe.loss(default, Trial(4, default, error="boom")) is None


def test_tpe_warm_starts_from_history(bench):
    seen = [bench.space.default().fallback([op]) for op in ("fc1", "fc2", "fc3")]
    history = [
        Trial(i + 1, cfg, accuracy=bench.accuracy(cfg), met_goal=False)
        for i, cfg in enumerate(seen)
    ]
    tpe = TPEStrategy(bench.space, bench.context(history=history))
    assert len(tpe.hp_trials.trials) == 3
    assert tpe.propose() == bench.space.default()
    tpe.observe(bench.space.default(), Trial(4, bench.space.default(), accuracy=0.8))
    proposals = []
    for i in range(10):
        cfg = tpe.propose()
        proposals.append(cfg.key)
        tpe.observe(cfg, Trial(5 + i, cfg, accuracy=bench.accuracy(cfg)))
    assert not set(proposals) & {c.key for c in seen}
    assert len(set(proposals)) == 10


def test_exhaustive_order_and_size_guard(bench):
    configs = list(iter_space(bench.space))
    assert len(configs) == len({c.key for c in configs}) == bench.space.size() == 64
    counts = [len(c.fp32_ops) for c in configs]
    assert configs[0] == bench.space.default() and counts == sorted(counts)
    model, x, y = make_sensitive_model(0)
    full = NumpyBench(model, x, y)
    with pytest.raises(ConfigError, match=r"13,841,287,201 configs.*basic"):
        ExhaustiveStrategy(full.space, full.context())


@pytest.mark.parametrize("name", ["basic", "mse", "tpe"])
def test_through_the_tuner(pm, sensitive, tmp_path, name):
    """The real tuner + numpy backend: the issue's acceptance, end to end."""
    model, calib, evalset = sensitive
    config = tuning_config(tmp_path, strategy={"name": name})
    result = quantize(
        model,
        config,
        calib_dataloader=calib,
        eval_dataloader=evalset,
        metric="topk",
        plugin_manager=pm,
    )
    assert result.met_goal
    assert set(result.best.config.fp32_ops) >= SENSITIVE
    assert np.isfinite(result.best.accuracy)


class TestBuiltinStrategyContract(StrategyContract):
    @pytest.fixture(params=NAMES)
    def strategy_name(self, request):
        return request.param


@pytest.fixture(scope="module")
def one_sensitive_of_many() -> NumpyBench:
    """12 layers, 6 of type Dense, fc2 the only sensitive one: the Dense op-type fallback
    meets the goal with 6 ops in FP32 where 1 suffices."""
    model, x, y = make_sensitive_model(0, sensitive=("fc2",), n_layers=12)
    return NumpyBench(model, x, y, model_wise=INT8_ONLY)


def test_basic_trims_a_goal_meeting_op_type_fallback(one_sensitive_of_many):
    bench = one_sensitive_of_many
    dense = bench.space.op_types()["Dense"]
    assert len(dense) == 6 and "fc2" in dense
    context = bench.context(max_trials=60)
    strategy = BasicStrategy(bench.space, context)
    trials = run_strategy(strategy, bench.accuracy, context.meets_goal, 60)
    fallback_sets = [set(t.config.fp32_ops) for t in trials]
    assert set(dense) in fallback_sets  # stage 3 met the goal with all six...
    first_met = fallback_sets.index(set(dense))
    assert trials[first_met].met_goal
    assert trials[-1].met_goal and trials[-1].config.fp32_ops == ["fc2"]  # ...trimmed to one
    assert len(trials) - first_met - 1 <= 2 * 3  # about 2 log2(6) trimming trials
    assert not strategy.refining


def test_trimming_can_be_turned_off(one_sensitive_of_many):
    bench = one_sensitive_of_many
    context = bench.context(max_trials=60, params={"max_trim_trials": 0})
    strategy = BasicStrategy(bench.space, context)
    trials = run_strategy(strategy, bench.accuracy, context.meets_goal, 60)
    assert trials[-1].met_goal and len(trials[-1].config.fp32_ops) == 6


def test_the_tuner_keeps_going_while_basic_trims(pm, tmp_path):
    model, x, y = make_sensitive_model(0, sensitive=("fc2",), n_layers=12)
    # model size: the numpy backend's INT8 is slower, so latency would prefer FP32 ops
    config = tuning_config(tmp_path, strategy={"name": "basic"}, objective="modelsize")
    config["quantization"]["model_wise"] = {
        "activation": {"dtype": ["uint8"], "scheme": ["asym"], "algorithm": ["minmax"]},
        "weight": {"dtype": ["int8"], "scheme": ["sym"], "granularity": ["per_channel"]},
    }
    result = quantize(
        model,
        config,
        calib_dataloader=DataLoader.from_arrays(x[:64], y[:64], batch_size=32),
        eval_dataloader=DataLoader.from_arrays(x, y, batch_size=128),
        metric="topk",
        plugin_manager=pm,
    )
    assert result.met_goal and result.stop_reason == "goal_met"
    first_met = next(t for t in result.trials if t.met_goal)
    assert len(first_met.config.fp32_ops) == 6  # the Dense op-type fallback
    trimmed = [t for t in result.trials if t.met_goal and t.index > first_met.index]
    assert trimmed and min(len(t.config.fp32_ops) for t in trimmed) <= 2
    # the best is chosen by the objective (model size here), among goal-meeting trials
    assert result.best in [first_met, *trimmed]


@pytest.mark.parametrize(
    ("strategy", "params", "message"),
    [
        ("basic", {"max_trim_trial": 4}, "did you mean 'max_trim_trials'"),
        ("basic", {"max_trim_trials": -1}, "tuning.strategy.max_trim_trials: must be a whole"),
        ("basic", {"max_sensitivity_ops": "lots"}, "max_sensitivity_ops: must be a whole"),
        ("tpe", {"fallback_prior": None}, "fallback_prior: must be a number between 0 and 1"),
        ("mse", {"isolate": "sometimes"}, 'must be "auto", true or false'),
        ("tpe", {"gamma": 2}, "tuning.strategy.gamma: must be a number between 0 and 1"),
        ("random", {"seed": 3}, "it takes no parameters"),
        ("tpe", {"max_dims": 0}, "tuning.strategy.max_dims: must be a whole number >= 1"),
        ("exhaustive", {"max_space": 0}, "max_space: must be a whole number >= 1"),
    ],
)
def test_bad_strategy_params_fail_before_any_evaluation(
    pm, sensitive, tmp_path, strategy, params, message
):
    model, calib, evalset = sensitive
    calls = []
    config = tuning_config(tmp_path, strategy={"name": strategy, **params})
    with pytest.raises(ConfigError, match=re.escape(message)):
        quantize(
            model,
            config,
            calib_dataloader=calib,
            eval_dataloader=evalset,
            eval_func=lambda m: calls.append(m) or 1.0,
            plugin_manager=pm,
        )
    assert calls == []


def test_strategy_params_are_converted(registry):
    assert registry["basic"].check_params({"max_trim_trials": 4.0}) == {"max_trim_trials": 4}
    assert registry["mse"].check_params({"isolate": "auto"}) == {"isolate": "auto"}
    assert registry["tpe"].check_params({"gamma": "0.5"}) == {"gamma": 0.5}
