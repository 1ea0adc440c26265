"""Built-in metrics, registered as a plugin under the names LPOT users write in YAML
(``evaluation.accuracy.metric: {topk: 1}``).

Every metric streams: ``reset()``, ``update(preds, labels)`` per batch, ``result()``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lpot_core.hookspecs import Register, hookimpl
from lpot_core.metrics.base import Metric
from lpot_core.metrics.build import build_metric
from lpot_core.metrics.classification import F1, MCC, Accuracy, TopK
from lpot_core.metrics.regression import MAE, MSE, RMSE, Loss, Pearson

#: name -> factory, as registered by this plugin.
BUILTIN_METRICS: dict[str, Callable[..., Any]] = {
    "topk": TopK,
    "Accuracy": Accuracy,
    "Loss": Loss,
    "MAE": MAE,
    "MSE": MSE,
    "RMSE": RMSE,
    "F1": F1,
    "MCC": MCC,
    "Pearson": Pearson,
}


@hookimpl
def lpot_register_metrics(register: Register) -> None:
    """Register the built-in metrics."""
    for name, factory in BUILTIN_METRICS.items():
        register(name, factory)


__all__ = [
    "BUILTIN_METRICS",
    "F1",
    "MAE",
    "MCC",
    "MSE",
    "RMSE",
    "Accuracy",
    "Loss",
    "Metric",
    "Pearson",
    "TopK",
    "build_metric",
    "lpot_register_metrics",
]
