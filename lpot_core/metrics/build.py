"""Building a metric from its YAML name and parameters."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from lpot_core.errors import PluginError
from lpot_core.metrics.base import Metric
from lpot_core.registry import instantiate, lookup


def build_metric(
    name: str, params: Any = None, registry: Mapping[str, Callable[..., Any]] | None = None
) -> Metric:
    """The metric registered as ``name``, built from ``params`` as written in YAML.

    ``evaluation.accuracy.metric: {topk: 1}`` becomes ``build_metric("topk", 1, reg)``:
    a mapping is passed as keyword arguments, a scalar as the single positional
    argument, and ``None``/``{}``/``True`` mean "no parameters". ``registry`` is
    :func:`lpot_core.plugins.metrics` of a plugin manager (the built-ins if omitted).
    Raises :class:`~lpot_core.errors.ConfigError` for unknown names (naming the nearest
    registered one) and for parameters the metric does not accept.
    """
    if registry is None:
        from lpot_core.metrics import BUILTIN_METRICS

        registry = BUILTIN_METRICS
    factory = lookup(registry, name, kind="metric", where="evaluation.accuracy.metric")
    metric = instantiate(factory, params, kind="metric", name=name)
    missing = [m for m in ("reset", "update", "result") if not callable(getattr(metric, m, None))]
    if missing:
        raise PluginError(
            f"metric {name!r} built an object of type {type(metric).__name__} "
            f"without {', '.join(missing)}(); metric factories must return a "
            "lpot_core.metrics.Metric"
        )
    return metric
