"""The hooks lpot calls. Plugins implement them with ``@lpot_core.hookimpl``.

Registration hooks receive a ``register`` callback (one plugin may register many
things); lpot calls them once per plugin manager, through the typed accessors in
:mod:`lpot_core.plugins`. Factories named in YAML are called with the YAML value:
a mapping as keyword arguments, a scalar as the one positional argument, and
nothing for ``{}``/null (``metric: {topk: 1}`` calls ``factory(1)``).
Observer hooks are called by the tuner as events happen; their return values are
ignored.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from lpot_core.result import Trial, TuningResult

PROJECT = "lpot"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

Register = Callable[[str, Any], None]


@hookspec
def lpot_register_adaptors(register: Register) -> None:
    """Register framework backends: ``register(name, AdaptorClass)``.

    ``name`` is a framework name users write in ``model.framework``
    (e.g. ``onnxrt_qlinearops``, ``pytorch``); a class may be registered under
    several names. Called by :func:`lpot_core.plugins.adaptors`.
    """


@hookspec
def lpot_register_strategies(register: Register) -> None:
    """Register tuning strategies: ``register(name, StrategyClass)``.

    ``name`` is what users write in ``tuning.strategy.name``. Called by
    :func:`lpot_core.plugins.strategies`.
    """


@hookspec
def lpot_register_metrics(register: Register) -> None:
    """Register metrics: ``register(name, factory)``; ``factory(...)`` returns a
    :class:`lpot_core.metrics.Metric`. Called by :func:`lpot_core.plugins.metrics`."""


@hookspec
def lpot_register_dataloaders(register: Register) -> None:
    """Register datasets usable from YAML: ``register(name, factory)``;
    ``factory(...)`` returns a sized, indexable dataset of ``(inputs, label)``.
    Called by :func:`lpot_core.plugins.datasets`."""


@hookspec
def lpot_register_transforms(register: Register) -> None:
    """Register per-sample transforms usable from YAML: ``register(name, factory)``;
    ``factory(...)`` returns ``callable((inputs, label)) -> (inputs, label)``.
    Called by :func:`lpot_core.plugins.transforms`."""


@hookspec
def lpot_tuning_started(config: Any, baseline: Trial) -> None:
    """Observer: the FP32 baseline is known and the first trial is about to run."""


@hookspec
def lpot_trial_finished(trial: Trial, best: Trial | None) -> None:
    """Observer: a trial was evaluated (or replayed from history) and recorded."""


@hookspec
def lpot_tuning_finished(result: TuningResult) -> None:
    """Observer: tuning stopped; ``result.stop_reason`` says why."""
