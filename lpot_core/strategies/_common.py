"""Helpers shared by the built-in strategies: ranking trials, remembering results."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from lpot_core.result import Trial
from lpot_core.space import TuneConfig, TuningSpace
from lpot_core.strategy import GeneratorStrategy, StrategyContext

#: The generator type strategies use: yields configs, receives trials.
Steps = Generator[TuneConfig, Trial, Any]


def trial_score(trial: Trial | None, context: StrategyContext) -> tuple[float, ...]:
    """A sort key, larger is better: failed trials last, then goal met, then accuracy
    (in the metric's direction), then fewer FP32 ops."""
    if trial is None or not trial.ok:
        return (0.0, 0.0, float("-inf"), float("-inf"))
    acc = float(trial.accuracy)  # type: ignore[arg-type]  # ok implies not None
    signed = acc if context.higher_is_better else -acc
    n_fp32 = len(trial.config.fp32_ops) if trial.config is not None else 0
    return (1.0, float(trial.met_goal), signed, -float(n_fp32))


def accuracy_key(trial: Trial | None, context: StrategyContext) -> float:
    """Accuracy in the "larger is better" direction; -inf for a failed trial."""
    if trial is None or not trial.ok:
        return float("-inf")
    acc = float(trial.accuracy)  # type: ignore[arg-type]
    return acc if context.higher_is_better else -acc


class MemoStrategy(GeneratorStrategy):
    """A generator strategy that remembers every trial, so a config is proposed once."""

    def __init__(self, space: TuningSpace, context: StrategyContext) -> None:
        #: config key -> trial, for every config this strategy proposed.
        self.trials: dict[str, Trial] = {}
        super().__init__(space, context)

    def evaluate(self, cfg: TuneConfig) -> Steps:
        """``trial = yield from self.evaluate(cfg)``: proposes ``cfg`` unless already known."""
        known = self.trials.get(cfg.key)
        if known is not None:
            return known
        trial = yield cfg
        self.trials[cfg.key] = trial
        return trial
