"""Model factories for the numpy reference backend.

:func:`make_sensitive_model` builds a network in which chosen layers are spoiled by
INT8: each has a "dead" input channel (always exactly 0) whose weights are ``outlier``
times the typical weight. In FP32 those weights multiply zeros and do nothing; in INT8
they set the weight scale of every output channel, so the real weights keep few levels
(``outlier=250``: one INT8 step is ~2 typical weights). No calibration algorithm or weight scheme
rescues such a layer: it must fall back to FP32. The damage is noise, not erasure, so
falling back one sensitive layer alone recovers part of the accuracy (as in real models).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from lpot_core.testing.numpy_adaptor import Layer, NumpyModel


def _layer_type(i: int, n_layers: int) -> str:
    """Pairs of ``Dense`` then pairs of ``Linear`` (fc1, fc2 Dense; fc3, fc4 Linear; ...),
    and a ``Linear`` output layer: the default sensitive layers fc2 and fc4 are then of
    different types, so no single op-type fallback rescues both."""
    if i == n_layers - 1:
        return "Linear"
    return "Dense" if (i // 2) % 2 == 0 else "Linear"


def make_sensitive_model(
    seed: int = 0,
    sensitive: Sequence[str] = ("fc2", "fc4"),
    n_layers: int = 6,
    width: int = 32,
    in_features: int = 16,
    n_classes: int = 4,
    n_samples: int = 512,
    outlier: float = 250.0,
) -> tuple[NumpyModel, np.ndarray, np.ndarray]:
    """A ``fc1..fc{n_layers}`` network, inputs ``x`` and labels ``y``.

    ``y`` is the FP32 model's own argmax, so FP32 accuracy is exactly 1.0. Samples are the
    half (of twice as many drawn) with the widest top-2 logit margin, so quantizing the
    insensitive layers costs well under 1%, while each sensitive layer alone costs far more.
    """
    names = [f"fc{i + 1}" for i in range(n_layers)]
    unknown = set(sensitive) - set(names)
    if unknown:
        raise ValueError(f"sensitive layers {sorted(unknown)} not in {names}")
    rng = np.random.default_rng(seed)
    dims = [in_features] + [width] * (n_layers - 1) + [n_classes]
    layers = []
    for i, name in enumerate(names):
        w = rng.normal(0.0, np.sqrt(2.0 / dims[i]), (dims[i], dims[i + 1])).astype(np.float32)
        b = rng.normal(0.0, 0.1, dims[i + 1]).astype(np.float32)
        layers.append(Layer(name, _layer_type(i, n_layers), w, b))
    for i, name in enumerate(names):
        if name not in sensitive:
            continue
        layer = layers[i]
        layer.weight[0, :] = (
            outlier * np.abs(layer.weight).mean() * rng.choice([-1.0, 1.0], layer.weight.shape[1])
        )
        if i > 0:  # make channel 0 of this layer's input exactly 0 (a dead unit)
            prev = layers[i - 1]
            prev.weight[:, 0] = 0.0
            prev.bias[0] = -1.0 if prev.type == "Dense" else 0.0
    model = NumpyModel(layers)
    x = rng.normal(0.0, 1.0, (2 * n_samples, in_features)).astype(np.float32)
    if names[0] in sensitive:
        x[:, 0] = 0.0
    logits = model(x)
    top2 = np.sort(logits, axis=1)[:, -2:]
    keep = np.sort(np.argsort(top2[:, 1] - top2[:, 0])[-n_samples:])
    x = x[keep]
    return model, x, model(x).argmax(axis=1)


def make_large_space_model(
    n_ops: int = 500, width: int = 8, seed: int = 0, n_samples: int = 64
) -> tuple[NumpyModel, np.ndarray, np.ndarray]:
    """A deep, narrow chain of ``n_ops`` layers (orthogonal weights, so activations stay
    bounded) for measuring the tuner's own overhead on a large tuning space."""
    rng = np.random.default_rng(seed)
    layers = []
    for i in range(n_ops):
        q, _ = np.linalg.qr(rng.normal(size=(width, width)))
        kind = "Dense" if i % 2 == 0 else "Linear"
        w = q.astype(np.float32)
        b = (np.full(width, 0.5) if kind == "Dense" else np.zeros(width)).astype(np.float32)
        layers.append(Layer(f"op{i}", kind, w, b))
    model = NumpyModel(layers)
    x = rng.normal(0.0, 1.0, (n_samples, width)).astype(np.float32)
    return model, x, model(x).argmax(axis=1)
