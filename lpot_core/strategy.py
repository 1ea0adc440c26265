"""The contract of a tuning strategy (ask/tell).

The tuner builds the strategy once, then loops::

    while (cfg := strategy.propose()) is not None:
        trial = <quantize, evaluate, record>      # or replay from history
        strategy.observe(cfg, trial)

A strategy never calls the adaptor; what it needs to know about the model it asks
through :class:`StrategyContext` (e.g. ``op_errors`` for quantization-error ranking).
Proposing a config already evaluated is allowed and free: the tuner replays it.
Strategies must be deterministic given ``context.seed`` and the observed results,
so that a resumed run retraces the same path.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

import attrs

from lpot_core.config_schema import suggest
from lpot_core.errors import ConfigError
from lpot_core.result import Trial
from lpot_core.space import TuneConfig, TuningSpace


@attrs.define
class StrategyContext:
    """What a strategy may know and ask besides the space."""

    baseline: Trial
    seed: int
    max_trials: int
    #: ``accuracy -> bool``: does this accuracy meet the user's criterion?
    meets_goal: Callable[[float], bool]
    #: ``accuracy -> float``: how far below the goal (0 when met; larger is worse).
    shortfall: Callable[[float], float]
    #: ``(cfg, op_names) -> {op: normalized error}``: per-op output error of ``cfg`` vs FP32.
    #: Empty when the backend cannot inspect activations.
    op_errors: Callable[[TuneConfig, Sequence[str]], dict[str, float]]
    #: Trials recorded by an earlier run of this tuning (for warm starts).
    history: list[Trial] = attrs.field(factory=list)
    #: Strategy-specific settings from ``tuning.strategy`` in the config.
    params: dict[str, Any] = attrs.field(factory=dict)
    #: False for losses and errors: then a lower accuracy value is better.
    higher_is_better: bool = True

    def score(self, trial: Trial | None) -> float:
        """A trial's accuracy oriented so that higher is always better (-inf if it failed).

        Strategies compare trials with this, never with raw ``accuracy``."""
        if trial is None or trial.accuracy is None or trial.error is not None:
            return float("-inf")
        return trial.accuracy if self.higher_is_better else -trial.accuracy


class Strategy(ABC):
    """Base class of tuning strategies; register subclasses with ``lpot_register_strategies``."""

    #: While True, a trial that meets the goal does not end a run with ``timeout: 0``: the
    #: strategy will trim (or is trimming) the FP32 fallback of a goal-meeting config, for
    #: fewer FP32 ops and a faster model; it sets it back to False when done. The best
    #: trial still wins.
    refining: bool = False

    #: The parameters this strategy reads from ``tuning.strategy`` (name -> converter such
    #: as ``int`` or :func:`count`); None accepts any. The tuner checks them with
    #: :meth:`check_params` before the first evaluation, so a typo fails fast.
    param_types: ClassVar[Mapping[str, Callable[[Any], Any]] | None] = None

    def __init__(self, space: TuningSpace, context: StrategyContext) -> None:
        self.space = space
        self.context = context

    @classmethod
    def check_params(cls, params: Mapping[str, Any]) -> dict[str, Any]:
        """``params`` converted to their declared types; ConfigError names a bad key or value."""
        if cls.param_types is None:
            return dict(params)
        checked = {}
        for key, value in params.items():
            convert = cls.param_types.get(key)
            if convert is None:
                near = suggest(key, cls.param_types)
                known = ", ".join(sorted(cls.param_types))
                raise ConfigError(
                    f"tuning.strategy.{key}: not a parameter of {cls.__name__}"
                    + (f" (did you mean {near!r}?)" if near else "")
                    + (f"; it takes: {known}" if known else "; it takes no parameters")
                )
            try:
                checked[key] = convert(value)
            except (TypeError, ValueError) as exc:
                raise ConfigError(f"tuning.strategy.{key}: {exc} (got {value!r})") from None
        return checked

    @abstractmethod
    def propose(self) -> TuneConfig | None:
        """The next config to try, or ``None`` when the strategy has nothing left."""

    def observe(self, cfg: TuneConfig, trial: Trial) -> None:  # noqa: B027 - optional hook
        """Learn from the result of ``cfg`` (called once after every ``propose``)."""


def _number(value: Any, rule: str) -> float:
    if isinstance(value, bool):
        raise ValueError(rule)
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(rule) from None


def count(value: Any) -> int:
    """A non-negative integer parameter (booleans and fractions are refused)."""
    rule = "must be a whole number >= 0"
    number = _number(value, rule)
    if not number.is_integer() or number < 0:
        raise ValueError(rule)
    return int(number)


def positive(value: Any) -> int:
    """An integer parameter >= 1."""
    number = count(value)
    if number < 1:
        raise ValueError("must be a whole number >= 1")
    return number


def fraction(value: Any) -> float:
    """A parameter in [0, 1]."""
    rule = "must be a number between 0 and 1"
    number = _number(value, rule)
    if not 0.0 <= number <= 1.0:
        raise ValueError(rule)
    return number


class GeneratorStrategy(Strategy):
    """A strategy written as a generator: ``yield cfg`` returns that config's :class:`Trial`.

    Example::

        def generate(self):
            trial = yield self.space.default()
            if not trial.met_goal:
                yield self.space.default().fallback(["conv1"])
    """

    def __init__(self, space: TuningSpace, context: StrategyContext) -> None:
        super().__init__(space, context)
        self._gen = self.generate()
        self._pending: Trial | None = None
        self._started = False

    @abstractmethod
    def generate(self) -> Any:
        """Yield configs; each ``yield`` evaluates to the trial of the yielded config."""

    def propose(self) -> TuneConfig | None:
        try:
            if not self._started:
                self._started = True
                return next(self._gen)
            return self._gen.send(self._pending)
        except StopIteration:
            return None

    def observe(self, cfg: TuneConfig, trial: Trial) -> None:
        self._pending = trial
