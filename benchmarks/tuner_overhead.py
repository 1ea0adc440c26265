"""The tuner's own cost per trial on a 500-op space (target: median under 5 ms).

Everything but the adaptor's quantize and evaluate is measured: the strategy's
proposal, config hashing, the history append + fsync, bookkeeping, progress and
hooks. The adaptor here does no work at all (quantize returns the config, accuracy
is a cheap function of it), so the wall time per trial is the tuner's overhead.

    python benchmarks/tuner_overhead.py [--ops 500] [--trials 200]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any, ClassVar

from lpot_core import hookimpl, plugins
from lpot_core.adaptor import Adaptor
from lpot_core.api import quantize
from lpot_core.space import OpCapability, TensorOptions, TuneConfig

SENSITIVE = {"op7", "op123", "op401"}


class NullModel:
    """Stands for a model; the adaptor below never looks inside."""


class NullAdaptor(Adaptor):
    """An adaptor that costs nothing: the tuner's overhead is all that is left."""

    approaches: ClassVar[tuple[str, ...]] = ("static",)
    n_ops = 500

    @classmethod
    def accepts(cls, model: Any) -> bool:
        return isinstance(model, NullModel)

    def load(self, model: Any) -> Any:
        return model

    def fingerprint(self, model: Any) -> str:
        return f"null-{self.n_ops}"

    def capabilities(self, model: Any, approach: str) -> list[OpCapability]:
        act = TensorOptions(
            dtype=("uint8", "int8"),
            scheme=("asym", "sym"),
            algorithm=("minmax", "kl", "percentile"),
        )
        weight = TensorOptions(dtype=("int8",), granularity=("per_channel", "per_tensor"))
        return [
            OpCapability(f"op{i}", ("Conv", "MatMul", "Add")[i % 3], act, weight)
            for i in range(self.n_ops)
        ]

    def calibrate(
        self, model: Any, dataloader: Any, sampling_size: int, algorithms: set[str]
    ) -> Any:
        return None

    def quantize(self, model: Any, tune_cfg: TuneConfig, stats: Any) -> Any:
        return tune_cfg

    def predict(self, model: Any, inputs: Any) -> Any:
        return None

    def evaluate(self, model: Any, dataloader: Any, metric: Any) -> float:
        if not isinstance(model, TuneConfig):
            return 1.0
        quantized_sensitive = sum(not model.ops[n].is_fp32 for n in SENSITIVE if n in model.ops)
        return 1.0 - 0.02 * quantized_sensitive

    def latency(self, model: Any, inputs: Any, warmup: int, iterations: int) -> list[float]:
        return [1e-3]

    def save(self, model: Any, path: Path) -> Path:
        path = Path(path).with_suffix(".txt")
        path.write_text(repr(model))
        return path


class NullMetric:
    higher_is_better = True

    def reset(self) -> None: ...
    def update(self, preds: Any, labels: Any) -> None: ...
    def result(self) -> float:
        return 0.0


@hookimpl
def lpot_register_adaptors(register: Any) -> None:
    register("null", NullAdaptor)


def run(strategy: str, n_ops: int, trials: int) -> list[float]:
    """Per-trial wall times of one tuning run that never meets its goal."""
    NullAdaptor.n_ops = n_ops
    pm = plugins.get_plugin_manager()
    pm.register(__import__(__name__))
    times: list[float] = []
    last = [0.0]

    class Timer:
        @hookimpl
        def lpot_tuning_started(self, config: Any, baseline: Any) -> None:
            last[0] = time.perf_counter()

        @hookimpl
        def lpot_trial_finished(self, trial: Any, best: Any) -> None:
            now = time.perf_counter()
            times.append(now - last[0])
            last[0] = now

    pm.register(Timer())
    with tempfile.TemporaryDirectory() as ws:
        quantize(
            NullModel(),
            {
                "model": {"framework": "null"},
                "tuning": {
                    "strategy": {"name": strategy},
                    "accuracy_criterion": {"absolute": 0.0},
                    "exit_policy": {"max_trials": trials},
                    "workspace": {"path": ws},
                },
            },
            calib_dataloader=[(None, None)],
            eval_dataloader=[(None, None)],
            metric=NullMetric(),
            plugin_manager=pm,
        )
    return times[1:]  # the first trial includes building the space


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--ops", type=int, default=500)
    p.add_argument("--trials", type=int, default=200)
    p.add_argument("--strategies", default="basic,mse,random,tpe,exhaustive")
    args = p.parse_args()
    print(
        f"tuner overhead per trial, {args.ops}-op space, {args.trials} trials "
        "(adaptor work excluded)"
    )
    print("| strategy | median ms | min ms | max ms | trials |")
    print("|---|---|---|---|---|")
    for name in args.strategies.split(","):
        try:
            t = run(name, args.ops, args.trials)
        except Exception as exc:  # report and go on: one strategy's refusal is a figure too
            print(f"| {name} | {type(exc).__name__}: {str(exc)[:60]} | | | |")
            continue
        print(
            f"| {name} | {statistics.median(t) * 1e3:.2f} | {min(t) * 1e3:.2f} | "
            f"{max(t) * 1e3:.2f} | {len(t) + 1} |"
        )


if __name__ == "__main__":
    main()
