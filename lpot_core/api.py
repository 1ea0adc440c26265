"""The programmatic entry points: :func:`quantize` and the LPOT-style :class:`Quantization`."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable, Iterable
from typing import Any

import pluggy

from lpot_core import plugins
from lpot_core.config import Config, DataLoaderConfig, load_config
from lpot_core.errors import ConfigError, DataError
from lpot_core.objective import Objective
from lpot_core.paths import expand
from lpot_core.result import TuningResult
from lpot_core.tuner import Tuner

log = logging.getLogger(__name__)


def quantize(
    model: Any = None,
    config: Config | str | dict[str, Any] | None = None,
    *,
    calib_dataloader: Iterable[Any] | None = None,
    eval_dataloader: Iterable[Any] | None = None,
    eval_func: Callable[[Any], float] | None = None,
    metric: Any = None,
    plugin_manager: pluggy.PluginManager | None = None,
) -> TuningResult:
    """Tune ``model`` to INT8 within the config's accuracy criterion.

    ``model`` is a framework model object or a path (default: ``model.path`` of the
    config). Accuracy comes from ``eval_func(model) -> float`` or from
    ``eval_dataloader`` + ``metric`` (a Metric, a name, or ``{name: params}``), each
    falling back to the config's ``evaluation.accuracy`` section. Dataloaders yield
    ``(inputs, labels)`` batches. Returns a :class:`TuningResult`, never ``None``.
    """
    cfg = load_config(config)
    pm = plugin_manager or plugins.get_plugin_manager()
    if model is None:
        if not cfg.model.path:
            raise ConfigError(
                "model.path: no model given; set model.path, or pass --model (CLI) "
                "or model= (Python)"
            )
        model = expand(cfg.model.path, "model.path")
    if isinstance(model, (str, os.PathLike)) and not os.path.exists(model):
        raise ConfigError(f"model.path: no file or folder at {model}; check the path")
    framework, adaptor_cls = plugins.get_adaptor_class(pm, cfg.model.framework, model)
    adaptor = adaptor_cls(framework, cfg.model.options)
    loaded = adaptor.load(model)

    calib = calib_dataloader or _build(
        cfg.quantization.calibration.dataloader, pm, "quantization.calibration.dataloader"
    )
    accuracy = cfg.evaluation.accuracy
    eval_dl = eval_dataloader or _build(
        accuracy.dataloader if accuracy else None, pm, "evaluation.accuracy.dataloader"
    )
    metric_obj = _metric(
        metric if metric is not None else (accuracy.metric if accuracy else None), pm
    )
    if eval_func is not None:
        if metric is not None:
            log.warning("eval_func is given: it scores the models and metric= is ignored")

        def evaluate(m: Any) -> float:
            return eval_func(adaptor.user_model(m))
    elif eval_dl is not None and metric_obj is not None:

        def evaluate(m: Any) -> float:
            return adaptor.evaluate(m, eval_dl, metric_obj)
    else:
        raise ConfigError(
            "evaluation.accuracy: lpot needs a way to score accuracy; pass "
            "eval_func=, or an eval dataloader plus a metric (e.g. "
            "evaluation.accuracy.metric: {topk: 1} and its dataloader)"
        )

    crit = cfg.tuning.accuracy_criterion
    higher = crit.higher_is_better
    if higher is None:
        higher = bool(getattr(metric_obj, "higher_is_better", True)) if eval_func is None else True
    perf = cfg.evaluation.performance
    perf_dl = _build(perf.dataloader, pm, "evaluation.performance.dataloader")
    # Without a performance loader, latency is timed on (at most) 32 samples of the eval
    # data: a realistic batch (INT8 gains shrink at batch 1), yet cheap enough per trial.
    perf_inputs = _first_inputs(perf_dl) if perf_dl else _head(_first_inputs(eval_dl or calib), 32)
    objective = Objective(cfg.tuning.objective, adaptor, perf_inputs, perf.warmup, perf.iteration)
    outcome = cfg.outcome_dict()
    # The strategy and seed decide the path, not what a trial's result is: trials of
    # another strategy stay valid (replayed for free, and strategies learn from them).
    tuning = outcome["tuning"]
    origin = _digest([tuning.pop("strategy"), tuning.pop("random_seed")])
    fingerprint = {
        "model": adaptor.fingerprint(loaded),
        "config": _digest(outcome),
        "data": _digest(
            [
                _data_fp(calib),
                _data_fp(eval_dl),
                getattr(eval_func, "__qualname__", None),
                _metric_fp(metric, accuracy),
            ]
        ),
    }
    tuner = Tuner(
        config=cfg,
        adaptor=adaptor,
        model=loaded,
        calib_dataloader=calib,
        evaluate=evaluate,
        objective=objective,
        fingerprint=fingerprint,
        plugin_manager=pm,
        higher_is_better=higher,
        origin=origin,
    )
    return tuner.run()


class Quantization:
    """LPOT 1.x style: ``q = Quantization('conf.yaml'); q.model = m; ...; result = q.fit()``."""

    def __init__(self, conf: Config | str | dict[str, Any] | None = None) -> None:
        self.conf = load_config(conf)
        self.model: Any = None
        self.calib_dataloader: Iterable[Any] | None = None
        self.eval_dataloader: Iterable[Any] | None = None
        self.eval_func: Callable[[Any], float] | None = None
        self.metric: Any = None
        self.plugin_manager: pluggy.PluginManager | None = None

    def fit(self) -> TuningResult:
        """Run the tuning; see :func:`quantize`."""
        return quantize(
            self.model,
            self.conf,
            calib_dataloader=self.calib_dataloader,
            eval_dataloader=self.eval_dataloader,
            eval_func=self.eval_func,
            metric=self.metric,
            plugin_manager=self.plugin_manager,
        )

    __call__ = fit


def _build(cfg: DataLoaderConfig | None, pm: pluggy.PluginManager, where: str) -> Any:
    """The dataloader a YAML section describes; its errors name that section."""
    if cfg is None or cfg.dataset is None:
        return None
    from lpot_core.data.build import build_dataloader

    return build_dataloader(cfg, pm, where)


def _metric(spec: Any, pm: pluggy.PluginManager) -> Any:
    if spec is None or (hasattr(spec, "result") and hasattr(spec, "reset")):
        return spec
    from lpot_core.metrics import build_metric

    if isinstance(spec, str):
        return build_metric(spec, None, plugins.metrics(pm))
    if isinstance(spec, dict) and len(spec) == 1:
        ((name, params),) = spec.items()
        return build_metric(name, params, plugins.metrics(pm))
    name, params = getattr(spec, "name", None), getattr(spec, "params", None)
    if name is None:
        raise ConfigError(f"metric: expected a Metric, a name or {{name: params}}, got {spec!r}")
    return build_metric(name, params, plugins.metrics(pm))


def _metric_fp(metric: Any, accuracy: Any) -> Any:
    """A stable description of the metric: its spec, or its class (never an address)."""
    spec = metric if metric is not None else (accuracy.metric if accuracy else None)
    if spec is None or isinstance(spec, (str, dict)):
        return spec
    if hasattr(spec, "name") and hasattr(spec, "params"):
        return [spec.name, spec.params]
    return f"{type(spec).__module__}.{type(spec).__qualname__}"


def _first_inputs(loader: Iterable[Any] | None) -> Any:
    if loader is None:
        return None
    for batch in loader:
        if not isinstance(batch, (tuple, list)) or len(batch) != 2:
            raise DataError(
                f"dataloader batches must be (inputs, labels) pairs; got {type(batch).__name__}"
            )
        return batch[0]
    raise DataError("the dataloader yields no batch; give it at least one sample")


def _head(inputs: Any, n: int) -> Any:
    """The first ``n`` samples of a batch (array, tuple/list or dict of arrays)."""
    if inputs is None:
        return None
    if isinstance(inputs, dict):
        return {k: _head(v, n) for k, v in inputs.items()}
    if isinstance(inputs, (tuple, list)):
        return type(inputs)(_head(v, n) for v in inputs)
    return inputs[:n] if getattr(inputs, "shape", None) else inputs


def _data_fp(loader: Any) -> str | None:
    if loader is None:
        return None
    from lpot_core.data import fingerprint

    return fingerprint(loader)


def _digest(data: Any) -> str:
    text = json.dumps(data, sort_keys=True, default=repr, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]
