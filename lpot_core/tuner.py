"""The quantize-evaluate loop: baseline, calibration cache, strategy, exit policy, history.

:func:`lpot_core.api.quantize` resolves the user's inputs and builds a :class:`Tuner`;
the tuner owns the loop and is the only caller of the adaptor during tuning.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pluggy

from lpot_core import plugins
from lpot_core.adaptor import Adaptor
from lpot_core.benchmark import compare
from lpot_core.config import Config
from lpot_core.criterion import Criterion
from lpot_core.errors import ConfigError, DataError, LpotError, ModelError, TuningInterrupted
from lpot_core.history import FILENAME, History
from lpot_core.objective import Objective
from lpot_core.progress import Progress
from lpot_core.registry import lookup
from lpot_core.result import Trial, TuningResult
from lpot_core.space import OpSpec, TuneConfig, TuningSpace
from lpot_core.strategy import StrategyContext

log = logging.getLogger(__name__)

#: consecutive repeated proposals after which a strategy is considered stuck.
MAX_REPEATS = 1000


class Tuner:
    """One tuning run. Build it, then call :meth:`run` once."""

    def __init__(
        self,
        *,
        config: Config,
        adaptor: Adaptor,
        model: Any,
        calib_dataloader: Iterable[Any] | None,
        evaluate: Callable[[Any], float],
        objective: Objective,
        fingerprint: dict[str, str],
        plugin_manager: pluggy.PluginManager,
        higher_is_better: bool,
        origin: str | None = None,
    ) -> None:
        self.config = config
        self.adaptor = adaptor
        self.model = model
        self.calib_dataloader = calib_dataloader
        self._evaluate = evaluate
        self.objective = objective
        self.pm = plugin_manager
        self.higher_is_better = higher_is_better
        self.origin = origin
        # Config errors first, before the workspace or its history is touched (a mismatched
        # history is moved aside when History opens; a typo must not cost the resume).
        self._strategy_cls = self._strategy_class()
        self._params = getattr(self._strategy_cls, "check_params", dict)(
            config.tuning.strategy.params
        )
        self._approaches_to_run = self._approaches()
        self.workspace = Path(config.tuning.workspace.path)
        try:
            self.workspace.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(
                f"tuning.workspace.path: cannot use {self.workspace} as the workspace "
                f"({exc.strerror or exc}); choose a folder lpot may write to"
            ) from None
        resume = config.tuning.workspace.resume
        self.history = History(
            self.workspace / FILENAME, fingerprint, Path(resume) if resume else None
        )
        self._stats: dict[int, Any] = {}
        self.trials: list[Trial] = []
        self.best: Trial | None = None
        self._best_model: Any = None
        self._seen: dict[str, Trial] = {}
        self._warm = False
        self._spaces: dict[str, TuningSpace] = {}

    # -- pieces ----------------------------------------------------------------
    def evaluate(self, model: Any) -> float:
        value = self._evaluate(model)
        try:
            if isinstance(value, (str, bytes)):
                raise TypeError  # "0.9" is a bug in the eval function, not a number
            value = float(value)
        except (TypeError, ValueError):
            raise LpotError(
                f"the eval function returned {value!r}; it must return one number (the accuracy)"
            ) from None
        if not math.isfinite(value):
            raise LpotError(f"the eval function returned {value}; it must be a finite number")
        return value

    def stats(self, sampling_size: int, space: TuningSpace) -> Any:
        """Calibration statistics, collected once per sampling size and reused by every trial."""
        if sampling_size not in self._stats:
            if space.approach == "dynamic" or self.calib_dataloader is None:
                self._stats[sampling_size] = None
            else:
                available = _sample_count(self.calib_dataloader)
                if available is not None and available < sampling_size:
                    log.warning(
                        "quantization.calibration.sampling_size is %d but the calibration "
                        "data holds %d samples; calibrating on all of them",
                        sampling_size,
                        available,
                    )
                log.info(
                    "calibrating on %d samples (%s)",
                    min(sampling_size, available or sampling_size),
                    ", ".join(sorted(space.algorithms())),
                )
                self._stats[sampling_size] = self.adaptor.calibrate(
                    self.model, self.calib_dataloader, sampling_size, space.algorithms()
                )
        return self._stats[sampling_size]

    def build(self, cfg: TuneConfig, space: TuningSpace) -> Any:
        return self.adaptor.quantize(self.model, cfg, self.stats(cfg.sampling_size, space))

    def baseline(self) -> Trial:
        recorded = self.history.recorded.get("fp32-baseline")
        if recorded is not None:
            return recorded
        start = time.perf_counter()
        accuracy = self.evaluate(self.model)
        trial = Trial(
            0,
            None,
            accuracy=accuracy,
            objective=self.objective.measure(self.model),
            met_goal=True,
            seconds=time.perf_counter() - start,
        )
        self.history.append(trial)
        return trial

    def op_errors(
        self, space: TuningSpace
    ) -> Callable[[TuneConfig, Sequence[str]], dict[str, float]]:
        """Per-op normalized output error of a quantized config against FP32 (for ``mse``)."""
        loader = self.calib_dataloader

        def measure(cfg: TuneConfig, ops: Sequence[str]) -> dict[str, float]:
            if loader is None:
                return {}
            ref = self.adaptor.inspect(self.model, loader, ops)
            if not ref:
                return {}
            got = self.adaptor.inspect(self.build(cfg, space), loader, ops)
            errors = {}
            for name in ops:
                if name in ref and name in got:
                    a, b = np.asarray(ref[name], np.float64), np.asarray(got[name], np.float64)
                    errors[name] = float(np.mean((a - b) ** 2) / (np.mean(a**2) + 1e-12))
            return errors

        return measure

    # -- the loop --------------------------------------------------------------
    def run(self) -> TuningResult:
        start = time.monotonic()
        cfg = self.config.tuning
        strategy_cls, params = self._strategy_cls, self._params
        approaches = self._approaches_to_run
        baseline = self.baseline()
        crit = cfg.accuracy_criterion
        criterion = Criterion(
            baseline.accuracy or 0.0, crit.relative, crit.absolute, self.higher_is_better
        )
        log.info(
            "FP32 baseline: %.6g (goal: %s %.6g)",
            baseline.accuracy,
            ">=" if self.higher_is_better else "<=",
            criterion.target,
        )
        self.pm.hook.lpot_tuning_started(config=self.config, baseline=baseline)
        limit = cfg.exit_policy
        reason = "space_exhausted"
        progress = Progress(total=limit.max_trials)
        try:
            for i, approach in enumerate(approaches):
                space = self._space(approach)
                if not space.quantizable():
                    if i + 1 < len(approaches) or self.trials:
                        log.warning("no op to quantize with the %s approach; skipping", approach)
                        continue
                    raise ConfigError(
                        "nothing to quantize: every op is FP32 (the model has no op the "
                        "backend quantizes, or quantization.model_wise/op_wise allow only "
                        "fp32); allow an int8 or uint8 dtype"
                    )
                context = StrategyContext(
                    baseline=baseline,
                    seed=cfg.random_seed,
                    max_trials=limit.max_trials,
                    meets_goal=criterion.meets,
                    shortfall=criterion.shortfall,
                    op_errors=self.op_errors(space),
                    history=[
                        t
                        for t in self.history.recorded.values()
                        if t.config is not None and t.origin != self.origin
                    ],
                    params=params,
                    higher_is_better=self.higher_is_better,
                )
                strategy = strategy_cls(space, context)
                reason = self._loop(strategy, space, criterion, start, progress)
                if reason != "space_exhausted":
                    break
        except KeyboardInterrupt:
            reason = "interrupted"
            log.warning(
                "interrupted: %d trials recorded in %s; run again to resume",
                len(self.trials),
                self.history.path,
            )
        finally:
            progress.close()
            self.history.close()
        result = self._finish(baseline, criterion, reason, time.monotonic() - start)
        if reason == "interrupted":  # Ctrl-C must still stop the caller's script
            raise TuningInterrupted(result)
        return result

    def _loop(
        self,
        strategy: Any,
        space: TuningSpace,
        criterion: Criterion,
        start: float,
        progress: Progress,
    ) -> str:
        limit = self.config.tuning.exit_policy
        repeats = 0
        while True:
            if limit.timeout and time.monotonic() - start >= limit.timeout:
                return "timeout"
            if len(self.trials) >= limit.max_trials:
                return "max_trials"
            cfg = strategy.propose()
            if cfg is None:  # after a refinement, the goal may already be met
                met = self.best is not None and self.best.met_goal and not limit.timeout
                return "goal_met" if met else "space_exhausted"
            if cfg.key in self._seen:  # proposed again in this run: answer from memory
                repeats += 1
                if repeats > MAX_REPEATS:
                    log.warning("strategy keeps proposing evaluated configs; stopping")
                    return "space_exhausted"
                strategy.observe(cfg, self._seen[cfg.key])
                continue
            repeats = 0
            trial = self._trial(cfg, space, criterion)
            self.trials.append(trial)
            self._seen[cfg.key] = trial
            strategy.observe(cfg, trial)
            self.pm.hook.lpot_trial_finished(trial=trial, best=self.best)
            progress.update(trial, self.best, criterion)
            if trial.met_goal and not limit.timeout and not getattr(strategy, "refining", False):
                return "goal_met"

    def _trial(self, cfg: TuneConfig, space: TuningSpace, criterion: Criterion) -> Trial:
        index = len(self.trials) + 1
        recorded = self.history.recorded.get(cfg.key)
        if recorded is not None:
            recorded.index = index
            self._consider(recorded, None)
            return recorded
        begin = time.perf_counter()
        # Bad calibration data ends the run here: it would fail every trial alike.
        stats = self.stats(cfg.sampling_size, space)
        try:
            qmodel = self.adaptor.quantize(self.model, cfg, stats)
        except (DataError, ConfigError):
            raise
        except (ModelError, ValueError, RuntimeError) as exc:
            # One config failing to quantize is a result, not the end of tuning.
            log.warning("trial %d: quantization failed: %s", index, exc)
            trial = Trial(
                index,
                cfg,
                error=f"{type(exc).__name__}: {exc}",
                seconds=time.perf_counter() - begin,
                origin=self.origin,
            )
            self.history.append(trial)
            return trial
        accuracy = self.evaluate(qmodel)
        met = criterion.meets(accuracy)
        objective = self.objective.measure(qmodel) if met else None
        trial = Trial(
            index,
            cfg,
            accuracy=accuracy,
            objective=objective,
            met_goal=met,
            seconds=time.perf_counter() - begin,
            origin=self.origin,
        )
        self.history.append(trial)
        self._consider(trial, qmodel)
        return trial

    def _consider(self, trial: Trial, qmodel: Any) -> None:
        """Keep ``trial`` (and its model) if it beats the best so far."""
        if trial.ok and (self.best is None or self._better(trial, self.best)):
            self.best = trial
            self._best_model = qmodel

    def _better(self, a: Trial, b: Trial) -> bool:
        if a.met_goal != b.met_goal:
            return a.met_goal
        if a.met_goal:  # both meet the goal: lower objective, then fewer FP32 ops
            ka = (
                a.objective if a.objective is not None else math.inf,
                len(a.config.fp32_ops) if a.config else 0,
            )
            kb = (
                b.objective if b.objective is not None else math.inf,
                len(b.config.fp32_ops) if b.config else 0,
            )
            return ka < kb
        assert a.accuracy is not None and b.accuracy is not None
        return a.accuracy > b.accuracy if self.higher_is_better else a.accuracy < b.accuracy

    # -- setup helpers ---------------------------------------------------------
    def _strategy_class(self) -> type:
        name = self.config.tuning.strategy.name
        return lookup(
            plugins.strategies(self.pm), name, kind="strategy", where="tuning.strategy.name"
        )

    def _approaches(self) -> list[str]:
        wanted = self.config.quantization.approaches
        supported = [a for a in wanted if a in self.adaptor.approaches]
        if not supported and len(self.adaptor.approaches) == 1:
            # LPOT's framework names imply the approach (onnxrt_integerops is dynamic).
            log.warning(
                "%s does %s quantization only; using it instead of %s",
                self.adaptor.framework,
                self.adaptor.approaches[0],
                ", ".join(wanted),
            )
            supported = list(self.adaptor.approaches)
        if not supported:
            raise ConfigError(
                f"quantization.approach: {self.adaptor.framework} supports "
                f"{', '.join(self.adaptor.approaches)} quantization, not "
                f"{', '.join(wanted)}"
            )
        if "static" in supported and self.calib_dataloader is None:
            raise ConfigError(
                "static quantization needs calibration data: give "
                "calib_dataloader= or quantization.calibration.dataloader"
            )
        return supported

    def _space(self, approach: str) -> TuningSpace:
        """The tuning space of ``approach``, built once (a resumed run that replayed its
        best trial needs it again to rebuild that model)."""
        if approach not in self._spaces:
            self._spaces[approach] = self._build_space(approach)
        return self._spaces[approach]

    def _build_space(self, approach: str) -> TuningSpace:
        q = self.config.quantization
        if self.calib_dataloader is not None and not self._warm:
            # Some backends capture the graph from a real batch (torch.export); when the
            # baseline was replayed from history, the adaptor has not seen one yet.
            self._warm = True
            for inputs, _labels in self.calib_dataloader:
                self.adaptor.predict(self.model, inputs)
                break
        caps = self.adaptor.capabilities(self.model, approach)
        if not caps:
            raise ModelError(
                f"{self.adaptor.framework} found no op it can quantize ({approach}) in this model"
            )
        model_wise = q.model_wise if isinstance(q.model_wise, OpSpec) else OpSpec()
        return TuningSpace(
            caps,
            sampling_sizes=q.calibration.sampling_size,
            approach=approach,
            model_wise=model_wise,
            op_wise=q.op_wise,
        )

    # -- the end ---------------------------------------------------------------
    def _finish(
        self, baseline: Trial, criterion: Criterion, reason: str, seconds: float
    ) -> TuningResult:
        from lpot_core.report import write_report
        from lpot_core.saving import save_atomically

        model = self._best_model
        if self.best is not None and model is None and self.best.config is not None:
            # The best trial was replayed from history: rebuild its model (no evaluation).
            space = self._space(self.best.config.approach)
            model = self.build(self.best.config, space)
        model_path = None
        if model is not None:
            model_path = save_atomically(
                self.adaptor, model, self.workspace, f"{self.config.model.name}_int8"
            )
        latency = None
        if (
            model is not None
            and self.objective.kind == "performance"
            and self.objective.inputs is not None
        ):
            # Trials were timed one after another; the reported ratio comes from FP32 and
            # INT8 measured in alternating blocks, which drift and load hit alike.
            timed = compare(
                self.adaptor,
                {"fp32": self.model, "int8": model},
                self.objective.inputs,
                warmup=self.objective.warmup,
                iterations=max(10, self.objective.iterations),
            )
            latency = {name: t.median for name, t in timed.items()}
        result = TuningResult(
            declined_ops=self.adaptor.declined_ops(model) if model is not None else [],
            latency=latency,
            model=model,
            met_goal=bool(self.best and self.best.met_goal),
            stop_reason=reason,
            baseline=baseline,
            best=self.best,
            trials=self.trials,
            tuning_seconds=seconds,
            workspace=self.workspace,
            history_path=self.history.path,
            model_path=model_path,
        )
        result.report = write_report(result, self.config, criterion, self.adaptor.framework)
        if model is None:
            log.warning("no trial produced a quantized model (%s); nothing was saved", reason)
        elif not result.met_goal:
            log.warning("no config met the accuracy goal (%s); saved the most accurate one", reason)
        ratio = result.report.get("objective_ratio")
        if self.objective.kind == "performance" and ratio is not None and ratio < 1:
            log.warning(
                "the INT8 model is %.2fx the speed of FP32 here (slower); this backend "
                "or approach does not pay off for this model on this CPU",
                ratio,
            )
        self.pm.hook.lpot_tuning_finished(result=result)
        return result


def _sample_count(dataloader: Any) -> int | None:
    """Samples in a dataloader whose dataset has a length (lpot's, torch's), else None."""
    try:
        return len(dataloader.dataset)
    except (AttributeError, TypeError):
        return None
