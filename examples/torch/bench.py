"""FP32 vs INT8 accuracy and latency of the zoo's PyTorch models, measured side by side.

    python examples/torch/bench.py [mnist fashion efficientnet] [--threads 1 2]

For each model: calibrate once, quantize with the default (preferred) config, score FP32
and INT8 on the same real data, then time one batch in alternating blocks of eager FP32,
compiled FP32 (inductor + freezing), lowered INT8 (oneDNN kernels, no compile) and
compiled INT8, and print median latencies and ratios.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import torch
import zoo
from lpot_torch.adaptor import TorchAdaptor

from lpot_core.space import TuningSpace


def datasets(name: str):
    """(model, calibration arrays, evaluation arrays, latency batch size)."""
    if name == "mnist":
        x, y = zoo.mnist_digits()
        order = np.random.default_rng(0).permutation(len(x))
        x, y = zoo.mnist_inputs(x[order]), y[order]
        return zoo.mnist_cnn(), (x[:100], y[:100]), (x[1000:5000], y[1000:5000]), 32
    if name == "fashion":
        x, y = zoo.fashion_mnist("test")
        x = zoo.fashion_inputs(x)
        return zoo.fashion_cnn(), (x[:100], y[:100]), (x[1000:], y[1000:]), 32
    x, y = zoo.imagenet_samples()
    return zoo.efficientnet_lite0(), (x, y), (x, y), 1


def top1(adaptor, model, x, y, batch=100) -> float:
    preds = [adaptor.predict(model, x[i : i + batch]).argmax(1) for i in range(0, len(x), batch)]
    return float((np.concatenate(preds) == y).mean())


def timed(forms: dict, inp: torch.Tensor, threads: int, blocks: int = 7, iterations: int = 10):
    """Median seconds per forward of each form, alternating forms block by block."""
    torch.set_num_threads(threads)
    per_block = {k: [] for k in forms}
    with torch.no_grad():
        for f in forms.values():
            for _ in range(3):
                f(inp)
        for _ in range(blocks):
            for k, f in forms.items():
                ts = []
                for _ in range(iterations):
                    t0 = time.perf_counter()
                    f(inp)
                    ts.append(time.perf_counter() - t0)
                per_block[k].append(statistics.median(ts))
    return {k: statistics.median(v) for k, v in per_block.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("models", nargs="*", default=["mnist"])
    parser.add_argument("--threads", nargs="*", type=int, default=[1, 2])
    args = parser.parse_args()
    for name in args.models:
        module, (cx, cy), (ex, ey), bs = datasets(name)
        adaptor = TorchAdaptor("pytorch", {})
        fp32 = adaptor.load(module)
        t0 = time.perf_counter()
        stats = adaptor.calibrate(
            fp32,
            [(cx[i : i + 50], cy[i : i + 50]) for i in range(0, len(cx), 50)],
            len(cx),
            {"minmax"},
        )
        space = TuningSpace(adaptor.capabilities(fp32, "static"), sampling_sizes=[len(cx)])
        int8 = adaptor.quantize(fp32, space.default(), stats)
        build = time.perf_counter() - t0
        acc_f, acc_q = top1(adaptor, fp32, ex, ey), top1(adaptor, int8, ex, ey)
        print(
            f"{name}: FP32 top-1 {acc_f:.4f}  INT8 top-1 {acc_q:.4f} ({len(ey)} samples; "
            f"{len(int8.quantized_ops)}/{len(space.ops)} ops INT8; reduce_range="
            f"{adaptor.reduce_range}; calibrate+quantize {build:.1f}s)"
        )
        inp = torch.from_numpy(np.ascontiguousarray(ex[:bs]))
        t0 = time.perf_counter()
        forms = {
            "eager_fp32": fp32.module,
            "compiled_fp32": adaptor.fast_module(fp32),
            "lowered_int8": adaptor.user_model(int8),
            "compiled_int8": adaptor.fast_module(int8),
        }
        with torch.no_grad():
            for f in forms.values():
                f(inp)
        print(f"  lowering + compiling: {time.perf_counter() - t0:.1f}s")
        for threads in args.threads:
            med = timed(forms, inp, threads)
            ms = "  ".join(f"{k} {v * 1e3:.2f}ms" for k, v in med.items())
            print(f"  threads={threads} batch={bs}: {ms}")
            q = med["compiled_int8"]
            print(
                f"    INT8 compiled speed-up: {med['eager_fp32'] / q:.2f}x vs eager FP32, "
                f"{med['compiled_fp32'] / q:.2f}x vs compiled FP32; lowered INT8 "
                f"{med['compiled_fp32'] / med['lowered_int8']:.2f}x vs compiled FP32"
            )


if __name__ == "__main__":
    main()
