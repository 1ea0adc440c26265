"""Contract test suites for plugin authors (the optuna/NNCF pattern).

Subclass a suite in your plugin's tests and provide its fixtures::

    from lpot_core.testing.contracts import AdaptorContract

    class TestMyAdaptor(AdaptorContract):
        @pytest.fixture
        def adaptor(self): return MyAdaptor("myframework")
        @pytest.fixture
        def model(self): return build_small_model()
        @pytest.fixture
        def dataloader(self): return my_loader()      # re-iterable (inputs, labels) batches
        @pytest.fixture
        def metric(self): return MyTop1()              # reset/update/result

This is the only module of lpot_core that imports pytest.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest

from lpot_core import plugins
from lpot_core.adaptor import Adaptor
from lpot_core.space import (
    ALGORITHMS,
    DTYPES,
    GRANULARITIES,
    SCHEMES,
    TensorOptions,
    TuneConfig,
    TuningSpace,
)
from lpot_core.strategy import Strategy
from lpot_core.testing.driver import INT8_ONLY, CountingLoader, NumpyBench, run_strategy
from lpot_core.testing.models import make_sensitive_model


def _outputs(out: Any) -> list[np.ndarray]:
    return [np.asarray(o) for o in out] if isinstance(out, (tuple, list)) else [np.asarray(out)]


class AdaptorContract:
    """What every adaptor must do. Fixtures: ``adaptor``, ``model``, ``dataloader``,
    ``metric``. Class attributes tune tolerances for backends that need them."""

    approach: ClassVar[str] = "static"
    sampling_size: ClassVar[int] = 32
    #: all-FP32 config vs the FP32 model
    fp32_rtol: ClassVar[float] = 1e-4
    fp32_atol: ClassVar[float] = 1e-5

    # -- helpers -------------------------------------------------------------------
    @pytest.fixture
    def loaded(self, adaptor: Adaptor, model: Any) -> Any:
        return adaptor.load(model)

    @pytest.fixture
    def space(self, adaptor: Adaptor, loaded: Any) -> TuningSpace:
        return TuningSpace(
            adaptor.capabilities(loaded, self.approach),
            sampling_sizes=(self.sampling_size,),
            approach=self.approach,
        )

    @pytest.fixture
    def batch(self, dataloader: Any) -> Any:
        return next(iter(dataloader))[0]

    @pytest.fixture
    def stats(self, adaptor: Adaptor, loaded: Any, dataloader: Any, space: TuningSpace) -> Any:
        return adaptor.calibrate(loaded, dataloader, self.sampling_size, space.algorithms())

    # -- model handling ------------------------------------------------------------
    def test_accepts_own_model(self, adaptor: Adaptor, model: Any) -> None:
        assert type(adaptor).accepts(model)

    def test_load_and_quantize_do_not_mutate_the_user_model(
        self, adaptor: Adaptor, model: Any, batch: Any, dataloader: Any, space: TuningSpace
    ) -> None:
        before = _outputs(adaptor.predict(adaptor.load(model), batch))
        type(adaptor).accepts(model)
        loaded = adaptor.load(model)
        stats = adaptor.calibrate(loaded, dataloader, self.sampling_size, space.algorithms())
        adaptor.quantize(loaded, space.default(), stats)
        after = _outputs(adaptor.predict(adaptor.load(model), batch))
        for a, b in zip(before, after, strict=True):
            np.testing.assert_array_equal(a, b)

    def test_capabilities_are_valid(self, adaptor: Adaptor, loaded: Any) -> None:
        caps = adaptor.capabilities(loaded, self.approach)
        assert caps, "capabilities() returned no quantizable op"
        names = [c.name for c in caps]
        assert len(names) == len(set(names)), "op names must be unique"
        allowed = {
            "dtype": DTYPES,
            "scheme": SCHEMES,
            "granularity": GRANULARITIES,
            "algorithm": ALGORITHMS,
        }
        for cap in caps:
            assert cap.name and cap.type
            for options in (cap.activation, cap.weight):
                if options is None:
                    continue
                assert isinstance(options, TensorOptions)
                for field, values in allowed.items():
                    got = getattr(options, field)
                    assert got, f"{cap.name}: empty {field}"
                    assert set(got) <= set(values), f"{cap.name}: bad {field} {got}"

    # -- calibration once, quantize many ---------------------------------------------
    def test_quantize_reuses_calibration(
        self, adaptor: Adaptor, loaded: Any, dataloader: Any, space: TuningSpace
    ) -> None:
        counting = CountingLoader(dataloader)
        stats = adaptor.calibrate(loaded, counting, self.sampling_size, space.algorithms())
        drawn = counting.batches
        if self.approach == "static":  # dynamic quantization needs no calibration data
            assert drawn > 0, "calibrate() drew no batch"
        default = space.default()
        variants = space.model_wise_variants(default) or [default.fallback(space.tunable_ops[:1])]
        adaptor.quantize(loaded, default, stats)
        adaptor.quantize(loaded, variants[0], stats)
        assert counting.batches == drawn, "quantize() iterated the calibration data again"

    def test_default_config_predicts_fp32_shape(
        self, adaptor: Adaptor, loaded: Any, space: TuningSpace, stats: Any, batch: Any
    ) -> None:
        q = adaptor.quantize(loaded, space.default(), stats)
        ref, out = _outputs(adaptor.predict(loaded, batch)), _outputs(adaptor.predict(q, batch))
        assert [o.shape for o in out] == [r.shape for r in ref]
        assert all(np.isfinite(o).all() for o in out)

    def test_all_fp32_config_matches_fp32(
        self, adaptor: Adaptor, loaded: Any, space: TuningSpace, stats: Any, batch: Any
    ) -> None:
        cfg = space.default().fallback([op for op in space.ops if space.can_fallback(op)])
        q = adaptor.quantize(loaded, cfg, stats)
        for r, o in zip(
            _outputs(adaptor.predict(loaded, batch)),
            _outputs(adaptor.predict(q, batch)),
            strict=True,
        ):
            np.testing.assert_allclose(o, r, rtol=self.fp32_rtol, atol=self.fp32_atol)

    def test_fallback_of_one_op_changes_the_model(
        self, adaptor: Adaptor, loaded: Any, space: TuningSpace, stats: Any, batch: Any
    ) -> None:
        default = space.default()
        base = _outputs(adaptor.predict(adaptor.quantize(loaded, default, stats), batch))
        for op in [o for o in space.tunable_ops if space.can_fallback(o)]:
            q = adaptor.quantize(loaded, default.fallback([op]), stats)
            out = _outputs(adaptor.predict(q, batch))
            if any(not np.array_equal(a, b) for a, b in zip(base, out, strict=True)):
                return
        pytest.fail("falling back any single op left the outputs bit-identical")

    def test_evaluate_returns_a_float(
        self, adaptor: Adaptor, loaded: Any, dataloader: Any, metric: Any
    ) -> None:
        score = adaptor.evaluate(loaded, dataloader, metric)
        assert isinstance(score, float) and np.isfinite(score)

    # -- persistence, timing, inspection -----------------------------------------------
    def test_save_load_roundtrip(
        self,
        adaptor: Adaptor,
        loaded: Any,
        space: TuningSpace,
        stats: Any,
        batch: Any,
        tmp_path: Path,
    ) -> None:
        q = adaptor.quantize(loaded, space.default(), stats)
        path = adaptor.save(q, tmp_path / "model")
        assert Path(path).exists()
        again = adaptor.load(path)
        for a, b in zip(
            _outputs(adaptor.predict(q, batch)),
            _outputs(adaptor.predict(again, batch)),
            strict=True,
        ):
            np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)

    def test_latency_is_positive(self, adaptor: Adaptor, loaded: Any, batch: Any) -> None:
        times = adaptor.latency(loaded, batch, warmup=1, iterations=3)
        assert len(times) == 3
        assert all(isinstance(t, float) and t > 0 for t in times)

    def test_inspect_returns_requested_ops(
        self, adaptor: Adaptor, loaded: Any, dataloader: Any, space: TuningSpace
    ) -> None:
        ops = list(space.ops)[:2]
        found = adaptor.inspect(loaded, dataloader, ops)
        if not found:
            return  # the backend does not support inspection; strategies cope
        assert set(found) == set(ops)
        assert all(isinstance(v, np.ndarray) and v.size for v in found.values())


@functools.cache
def _sensitive_bench() -> NumpyBench:
    """fc2 and fc4 must fall back; one INT8 choice or FP32 per op (64 configs). Built once."""
    model, x, y = make_sensitive_model(0)
    return NumpyBench(model, x, y, model_wise=INT8_ONLY)


class StrategyContract:
    """What every strategy must do, checked on the numpy backend. Fixture:
    ``strategy_name``; override ``plugin_manager`` if your plugin is not auto-loaded."""

    max_trials: ClassVar[int] = 40

    @pytest.fixture
    def plugin_manager(self) -> Any:
        pm = plugins.get_plugin_manager()
        import lpot_core.strategies

        if not pm.is_registered(lpot_core.strategies):
            pm.register(lpot_core.strategies)
        return pm

    @pytest.fixture
    def strategy_cls(self, plugin_manager: Any, strategy_name: str) -> type[Strategy]:
        return plugins.strategies(plugin_manager)[strategy_name]

    @pytest.fixture
    def bench(self) -> NumpyBench:
        return _sensitive_bench()

    def _run(
        self,
        cls: type[Strategy],
        bench: NumpyBench,
        seed: int,
        stop_on_goal: bool = True,
        max_trials: int | None = None,
    ) -> tuple[list[TuneConfig], list[Any]]:
        ctx = bench.context(seed=seed, max_trials=max_trials or self.max_trials)
        strategy = cls(bench.space, ctx)
        proposed: list[TuneConfig] = []

        def evaluate(cfg: TuneConfig) -> float:
            return bench.accuracy(cfg)

        original = strategy.propose

        def propose() -> TuneConfig | None:
            cfg = original()
            if cfg is not None:
                proposed.append(cfg)
            return cfg

        strategy.propose = propose  # type: ignore[method-assign]
        trials = run_strategy(
            strategy,
            evaluate,
            ctx.meets_goal,
            max_trials or self.max_trials,
            stop_on_goal=stop_on_goal,
        )
        return proposed, trials

    def test_proposes_default_first(self, strategy_cls: type[Strategy], bench: NumpyBench) -> None:
        strategy = strategy_cls(bench.space, bench.context(seed=0))
        assert strategy.propose() == bench.space.default()

    def test_deterministic_under_seed(
        self, strategy_cls: type[Strategy], bench: NumpyBench
    ) -> None:
        first, _ = self._run(strategy_cls, bench, seed=3, stop_on_goal=False, max_trials=12)
        second, _ = self._run(strategy_cls, bench, seed=3, stop_on_goal=False, max_trials=12)
        assert [c.key for c in first] == [c.key for c in second]

    def test_stays_inside_the_space(self, strategy_cls: type[Strategy], bench: NumpyBench) -> None:
        proposed, _ = self._run(strategy_cls, bench, seed=1, stop_on_goal=False, max_trials=12)
        assert proposed
        for cfg in proposed:
            assert set(cfg.ops) == set(bench.space.choices)
            bench.space.validate(cfg)

    def test_reaches_goal_or_stops(self, strategy_cls: type[Strategy], bench: NumpyBench) -> None:
        _, trials = self._run(strategy_cls, bench, seed=0)
        met = [t for t in trials if t.met_goal]
        if not met:  # allowed only if the strategy gave up on its own
            assert len(trials) < self.max_trials, "neither met the goal nor stopped"
        else:
            assert {"fc2", "fc4"} <= set(met[0].config.fp32_ops)
