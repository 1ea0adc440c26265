"""Fetch and build zoo assets ahead of time: ``python -m zoo.prepare [--all | NAME ...]``.

Used by nox sessions and CI so tests never wait on (or fail in) a first download.
Prints one line per asset: its name, what it made, and how long that took.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from collections.abc import Callable

# name -> (module, function); order = cheapest/most-needed first
ASSETS: dict[str, tuple[str, str]] = {
    "mnist_digits": ("zoo.mnist", "mnist_digits"),
    "mnist_cnn": ("zoo.mnist", "mnist_cnn"),
    "mnist_cnn_onnx": ("zoo.onnx_export", "mnist_cnn_onnx"),
    "imagenet_samples": ("zoo.imagenet", "imagenet_samples"),
    "efficientnet_lite0": ("zoo.imagenet", "efficientnet_lite0"),
    "efficientnet_lite0_onnx": ("zoo.onnx_export", "efficientnet_lite0_onnx"),
    "fashion_mnist": ("zoo.fashion", "fashion_mnist"),
    "fashion_cnn": ("zoo.fashion", "fashion_cnn"),
    "fashion_cnn_onnx": ("zoo.onnx_export", "fashion_cnn_onnx"),
    "spam_emails": ("zoo.spam", "spam_emails"),
    "spam_classifier": ("zoo.spam", "spam_classifier"),
    "spam_classifier_onnx": ("zoo.onnx_export", "spam_classifier_onnx"),
}
GROUPS = {
    "mnist": ["mnist_digits", "mnist_cnn", "mnist_cnn_onnx"],
    "imagenet": ["imagenet_samples", "efficientnet_lite0", "efficientnet_lite0_onnx"],
    "fashion": ["fashion_mnist", "fashion_cnn", "fashion_cnn_onnx"],
    "spam": ["spam_emails", "spam_classifier", "spam_classifier_onnx"],
    "data": ["mnist_digits", "imagenet_samples", "fashion_mnist", "spam_emails"],  # no torch
}


def _describe(result: object) -> str:
    if isinstance(result, tuple) and isinstance(result[0], list):
        return f"list[str] ({len(result[0])}), " + _describe(result[1:])
    if isinstance(result, tuple):
        return ", ".join(
            f"{getattr(a, 'dtype', type(a).__name__)}{list(getattr(a, 'shape', []))}"
            for a in result
        )
    if hasattr(result, "parameters"):
        n = sum(p.numel() for p in result.parameters())  # type: ignore[attr-defined]
        return f"{type(result).__name__} ({n / 1e6:.2f} M params)"
    return str(result)


def _resolve(names: list[str]) -> list[str]:
    out: list[str] = []
    for name in names:
        for item in GROUPS.get(name, [name]):
            if item not in ASSETS:
                choices = ", ".join([*ASSETS, *GROUPS])
                raise SystemExit(f"unknown asset {item!r}; choose from: {choices}")
            if item not in out:
                out.append(item)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m zoo.prepare", description=__doc__)
    parser.add_argument("names", nargs="*", help=f"assets or groups ({', '.join(GROUPS)})")
    parser.add_argument("--all", action="store_true", help="prepare every asset")
    parser.add_argument("--keep-going", action="store_true", help="continue after a failure")
    args = parser.parse_args(argv)
    names = list(ASSETS) if args.all else _resolve(args.names)
    if not names:
        parser.error("name some assets or pass --all")
    failed = 0
    for name in names:
        module, func = ASSETS[name]
        fn: Callable[[], object] = getattr(importlib.import_module(module), func)
        start = time.perf_counter()
        try:
            result = fn()
        except Exception as exc:
            failed += 1
            print(f"FAILED {name}: {type(exc).__name__}: {exc}", flush=True)
            if not args.keep_going:
                return 1
            continue
        print(f"{name:<26} {time.perf_counter() - start:6.1f}s  {_describe(result)}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
