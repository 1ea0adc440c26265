"""A minimal tuning loop over the numpy backend, for strategy tests and contract suites.

It is deliberately tiny (propose -> quantize -> evaluate -> observe) so strategy behaviour
can be tested in isolation from the real tuner's history, timing and reporting.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import attrs
import numpy as np

from lpot_core.result import Trial
from lpot_core.space import OpSpec, TuneConfig, TuningSpace
from lpot_core.strategy import Strategy, StrategyContext
from lpot_core.testing.numpy_adaptor import NumpyAdaptor, NumpyModel


class ArrayLoader:
    """Re-iterable ``(inputs, labels)`` batches over arrays, in order."""

    def __init__(self, x: np.ndarray, y: np.ndarray, batch_size: int = 64) -> None:
        self.x, self.y, self.batch_size = x, y, batch_size

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        for i in range(0, len(self.x), self.batch_size):
            yield self.x[i : i + self.batch_size], self.y[i : i + self.batch_size]

    def __len__(self) -> int:
        return -(-len(self.x) // self.batch_size)


class CountingLoader:
    """Wraps a dataloader and counts the batches anyone draws from it."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.batches = 0

    def __iter__(self) -> Iterator[Any]:
        for batch in self.inner:
            self.batches += 1
            yield batch


class Top1:
    """Top-1 accuracy with the ``reset/update/result`` metric protocol."""

    def __init__(self) -> None:
        self.correct = 0
        self.total = 0

    def reset(self) -> None:
        self.correct = self.total = 0

    def update(self, preds: Any, labels: Any) -> None:
        preds = np.asarray(preds)
        self.correct += int((preds.argmax(axis=-1) == np.asarray(labels)).sum())
        self.total += len(preds)

    def result(self) -> float:
        return self.correct / self.total if self.total else 0.0


def relative_goal(
    baseline: float, tolerance: float
) -> tuple[Callable[[float], bool], Callable[[float], float]]:
    """``meets_goal`` and ``shortfall`` for a relative, higher-is-better criterion."""
    target = baseline * (1.0 - tolerance)

    def meets(acc: float) -> bool:
        return acc >= target

    def shortfall(acc: float) -> float:
        return max(0.0, target - acc)

    return meets, shortfall


#: ``model_wise`` restricting every op to one INT8 choice (plus FP32): 2**n configs.
INT8_ONLY = OpSpec(
    activation={"dtype": ["uint8"], "scheme": ["asym"], "algorithm": ["minmax"]},
    weight={"scheme": ["sym"], "granularity": ["per_channel"]},
)


@attrs.define
class NumpyBench:
    """The numpy backend, a model and its data, calibrated once; evaluates tune configs."""

    model: NumpyModel
    x: np.ndarray
    y: np.ndarray
    sampling_size: int = 256
    model_wise: OpSpec | None = None
    adaptor: NumpyAdaptor = attrs.field(factory=lambda: NumpyAdaptor("numpy"))
    space: TuningSpace = attrs.field(init=False)
    stats: Any = attrs.field(init=False)
    baseline: float = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self.model = self.adaptor.load(self.model)
        caps = self.adaptor.capabilities(self.model, "static")
        self.space = TuningSpace(
            caps, sampling_sizes=(self.sampling_size,), model_wise=self.model_wise
        )
        self.stats = self.adaptor.calibrate(
            self.model, self.loader(), self.sampling_size, self.space.algorithms()
        )
        self.baseline = self.adaptor.evaluate(self.model, self.loader(), Top1())

    def loader(self) -> ArrayLoader:
        return ArrayLoader(self.x, self.y)

    def accuracy(self, cfg: TuneConfig) -> float:
        q = self.adaptor.quantize(self.model, cfg, self.stats)
        return self.adaptor.evaluate(q, self.loader(), Top1())

    def op_errors(self, cfg: TuneConfig, ops: Sequence[str]) -> dict[str, float]:
        """Per-op output MSE of ``cfg`` vs FP32, normalized by the FP32 output's variance."""
        q = self.adaptor.quantize(self.model, cfg, self.stats)
        ref = self.adaptor.inspect(self.model, self.loader(), ops)
        out = self.adaptor.inspect(q, self.loader(), ops)
        return {
            op: float(np.mean((out[op] - ref[op]) ** 2) / (np.var(ref[op]) + 1e-12)) for op in ops
        }

    def context(
        self,
        seed: int = 0,
        max_trials: int = 100,
        tolerance: float = 0.01,
        params: Mapping[str, Any] | None = None,
        history: Sequence[Trial] = (),
        inspect: bool = True,
    ) -> StrategyContext:
        meets, shortfall = relative_goal(self.baseline, tolerance)
        return StrategyContext(
            baseline=Trial(0, None, accuracy=self.baseline, met_goal=True),
            seed=seed,
            max_trials=max_trials,
            meets_goal=meets,
            shortfall=shortfall,
            op_errors=self.op_errors if inspect else (lambda cfg, ops: {}),
            history=list(history),
            params=dict(params or {}),
        )


def run_strategy(
    strategy: Strategy,
    evaluate: Callable[[TuneConfig], float | None],
    meets_goal: Callable[[float], bool],
    max_trials: int,
    stop_on_goal: bool = True,
) -> list[Trial]:
    """Drive ``strategy`` until it returns None, the goal is met (and the strategy is not
    refining a goal-meeting config), or ``max_trials`` configs were evaluated.
    ``evaluate`` returns an accuracy, or None/raises for a failed trial. A re-proposed
    config is replayed (not re-evaluated, not counted)."""
    trials: list[Trial] = []
    done: dict[str, Trial] = {}
    proposals = 0
    while len(trials) < max_trials and proposals < 10 * max_trials:
        cfg = strategy.propose()
        if cfg is None:
            break
        proposals += 1
        if cfg.key in done:
            strategy.observe(cfg, attrs.evolve(done[cfg.key], replayed=True))
            continue
        try:
            acc = evaluate(cfg)
            error = None if acc is not None else "evaluation failed"
        except Exception as exc:  # a failed trial is data for the strategy, not a crash
            acc, error = None, f"{type(exc).__name__}: {exc}"
        trial = Trial(
            len(trials) + 1,
            cfg,
            accuracy=acc,
            error=error,
            met_goal=acc is not None and meets_goal(acc),
        )
        trials.append(trial)
        done[cfg.key] = trial
        strategy.observe(cfg, trial)
        if trial.met_goal and stop_on_goal and not getattr(strategy, "refining", False):
            break
    return trials
