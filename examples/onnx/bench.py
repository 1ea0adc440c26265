"""FP32 vs INT8 accuracy and latency of the zoo's ONNX models, measured side by side.

    python examples/onnx/bench.py [mnist fashion efficientnet] [--frameworks onnxrt_qdq ...]

For each model: calibrate once, quantize with the default (preferred) config, score FP32
and INT8 on the same real data, then time one batch with 1 and 2 intra-op threads in
alternating FP32/INT8 blocks and print median and best-case latency ratios.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import zoo
from lpot_onnx.adaptor import OnnxAdaptor

from lpot_core.space import TuningSpace


def datasets(name: str):
    """(model path, calibration arrays, evaluation arrays, latency batch sizes)."""
    if name == "mnist":
        x, y = zoo.mnist_digits()
        order = np.random.default_rng(0).permutation(len(x))
        x, y = zoo.mnist_inputs(x[order]), y[order]
        return zoo.mnist_cnn_onnx(), (x[:100], y[:100]), (x[1000:5000], y[1000:5000]), (1, 32)
    if name == "fashion":
        x, y = zoo.fashion_mnist("test")
        x = zoo.fashion_inputs(x)
        return zoo.fashion_cnn_onnx(), (x[:100], y[:100]), (x[1000:], y[1000:]), (1, 32)
    x, y = zoo.imagenet_samples()
    return zoo.efficientnet_lite0_onnx(), (x, y), (x, y), (1,)


def top1(adaptor, model, x, y, batch=100) -> float:
    preds = [adaptor.predict(model, x[i : i + batch]).argmax(1) for i in range(0, len(x), batch)]
    return float((np.concatenate(preds) == y).mean())


def ratios(adaptor, fp32, int8, batch, threads, blocks=7, iterations=20):
    f, q = [], []
    for _ in range(blocks):  # alternate so drift and neighbours' load hit both alike
        f += adaptor.latency(fp32, batch, 3, iterations, threads=threads)
        q += adaptor.latency(int8, batch, 3, iterations, threads=threads)
    return np.median(f), np.median(q), np.median(f) / np.median(q), min(f) / min(q)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("models", nargs="*", default=["mnist", "fashion", "efficientnet"])
    parser.add_argument("--frameworks", nargs="+", default=["onnxrt_qdq", "onnxrt_qlinearops"])
    args = parser.parse_args()
    print(
        "| model | framework | FP32 top-1 | INT8 top-1 | batch | threads | FP32 ms | INT8 ms "
        "| ratio (median) | ratio (min) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name in args.models:
        path, (cx, _cy), (ex, ey), batches = datasets(name)
        for framework in args.frameworks:
            adaptor = OnnxAdaptor(framework)
            fp32 = adaptor.load(path)
            space = TuningSpace(adaptor.capabilities(fp32, "static"))
            stats = adaptor.calibrate(
                fp32,
                [(cx[i : i + 50], None) for i in range(0, len(cx), 50)],
                len(cx),
                space.algorithms(),
            )
            int8 = adaptor.quantize(fp32, space.default(), stats)
            acc_f, acc_q = top1(adaptor, fp32, ex, ey), top1(adaptor, int8, ex, ey)
            for b in batches:
                for threads in (1, 2):
                    mf, mq, r, rmin = ratios(adaptor, fp32, int8, ex[:b], threads)
                    print(
                        f"| {name} | {framework} | {acc_f:.4f} | {acc_q:.4f} | {b} | {threads} "
                        f"| {mf * 1e3:.3f} | {mq * 1e3:.3f} | {r:.2f}x | {rmin:.2f}x |",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
