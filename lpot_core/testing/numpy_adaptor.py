"""A small, real reference backend: dense networks in numpy with true INT8 fake-quant.

It exists so the tuner and strategies can be tested without any deep-learning framework,
and as a worked example for adaptor authors. Register it by hand in tests::

    pm.register(lpot_core.testing.numpy_adaptor)

Layer types: ``Dense`` (``relu(x @ W + b)``) and ``Linear`` (``x @ W + b``), so op-type
fallback has two groups to work with. Activations are quantized at each layer's input
with scales from one calibration pass; weights are quantized per output channel or per
tensor with real rounding and clipping.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, ClassVar

import attrs
import numpy as np

from lpot_core.adaptor import Adaptor
from lpot_core.errors import DataError, ModelError
from lpot_core.hookspecs import hookimpl
from lpot_core.space import OpCapability, TensorOptions, TuneConfig
from lpot_core.testing.calibration import (
    TensorStats,
    activation_qparams,
    fake_quant,
    fake_quant_weight,
)

LAYER_TYPES = ("Dense", "Linear")


@attrs.define
class Layer:
    """One dense layer. ``act_q`` is ``(scale, zero_point, qmin, qmax)`` when the layer's
    input is quantized; ``precision`` records the op's setting (``"fp32"`` or a choice)."""

    name: str
    type: str
    weight: np.ndarray
    bias: np.ndarray
    act_q: tuple[float, int, int, int] | None = None
    precision: str = "fp32"

    def forward(self, x: np.ndarray) -> np.ndarray:
        if self.act_q is not None:
            x = fake_quant(x, *self.act_q)
        y = x @ self.weight + self.bias
        return np.maximum(y, 0.0) if self.type == "Dense" else y


@attrs.define
class NumpyModel:
    """An ordered list of layers; calling it on ``x[N, in]`` returns the logits."""

    layers: list[Layer]

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)[-1]

    def forward(self, x: np.ndarray) -> list[np.ndarray]:
        """Outputs of every layer, in order."""
        outs = []
        h = np.asarray(x, dtype=np.float32)
        for layer in self.layers:
            h = layer.forward(h)
            outs.append(h)
        return outs

    @property
    def names(self) -> list[str]:
        return [layer.name for layer in self.layers]


def _as_array(inputs: Any) -> np.ndarray:
    """Batches may carry an array, a 1-tuple/list, or a dict with one array."""
    if isinstance(inputs, dict):
        if len(inputs) != 1:
            raise DataError(f"numpy models take one input; got keys {sorted(inputs)}")
        inputs = next(iter(inputs.values()))
    elif isinstance(inputs, (tuple, list)):
        if len(inputs) != 1:
            raise DataError(f"numpy models take one input; got {len(inputs)}")
        inputs = inputs[0]
    arr = np.asarray(inputs, dtype=np.float32)
    if arr.ndim != 2:
        raise DataError(f"numpy models take inputs of shape [N, features]; got {arr.shape}")
    return arr


def _fitting(model: NumpyModel, inputs: Any) -> np.ndarray:
    """The batch as an array the model's first layer can take, or a DataError."""
    x = _as_array(inputs)
    width = model.layers[0].weight.shape[0]
    if x.shape[1] != width:
        raise DataError(f"the model takes {width} features per sample; the batch has {x.shape[1]}")
    return x


class NumpyAdaptor(Adaptor):
    """Reference backend for :class:`NumpyModel` (framework name ``numpy``).

    ``counts`` (class-level, shared by every instance the tuner creates) tallies
    ``calibrate``/``quantize``/``predict``/``evaluate`` calls so tests can assert that
    nothing is recalibrated or re-evaluated; reset it with :meth:`reset_counts`.
    """

    package: ClassVar[str] = "lpot-core"
    approaches: ClassVar[tuple[str, ...]] = ("static",)
    counts: ClassVar[Counter[str]] = Counter()

    @classmethod
    def reset_counts(cls) -> None:
        cls.counts.clear()

    # -- model --------------------------------------------------------------------
    @classmethod
    def accepts(cls, model: Any) -> bool:
        if isinstance(model, NumpyModel):
            return True
        return (
            isinstance(model, (str, Path)) and str(model).endswith(".npz") and Path(model).is_file()
        )

    def load(self, model: Any) -> NumpyModel:
        if isinstance(model, NumpyModel):
            return copy.deepcopy(model)
        if isinstance(model, (str, Path)) and Path(model).is_file():
            return _read_npz(Path(model))
        raise ModelError(f"the numpy backend loads a NumpyModel or a .npz file; got {model!r}")

    def save(self, model: NumpyModel, path: Path) -> Path:
        path = Path(path).with_suffix(".npz")
        path.parent.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, np.ndarray] = {
            "names": np.array(model.names),
            "types": np.array([la.type for la in model.layers]),
            "precision": np.array([la.precision for la in model.layers]),
        }
        for i, layer in enumerate(model.layers):
            arrays[f"w{i}"] = layer.weight
            arrays[f"b{i}"] = layer.bias
            if layer.act_q is not None:
                arrays[f"q{i}"] = np.array(layer.act_q, dtype=np.float64)
        np.savez(path, **arrays)
        return path

    # -- quantization ----------------------------------------------------------------
    def capabilities(self, model: NumpyModel, approach: str) -> list[OpCapability]:
        if approach not in self.approaches:
            raise ModelError(f"the numpy backend supports approach 'static', not {approach!r}")
        act = TensorOptions(
            dtype=("uint8", "int8"),
            scheme=("asym", "sym"),
            granularity=("per_tensor",),
            algorithm=("minmax", "percentile", "kl"),
        )
        weight = TensorOptions(
            dtype=("int8",),
            scheme=("sym", "asym"),
            granularity=("per_channel", "per_tensor"),
            algorithm=("minmax",),
        )
        return [OpCapability(la.name, la.type, act, weight) for la in model.layers]

    def calibrate(
        self, model: NumpyModel, dataloader: Iterable[Any], sampling_size: int, algorithms: set[str]
    ) -> dict[str, TensorStats]:
        """One FP32 pass over at most ``sampling_size`` samples; stats for every layer input
        serve minmax, percentile and kl alike (``algorithms`` needs no special handling)."""
        self.counts["calibrate"] += 1
        stats = {name: TensorStats() for name in model.names}
        seen = 0
        for inputs, _labels in dataloader:
            x = _fitting(model, inputs)[: max(sampling_size - seen, 0)]
            if len(x) == 0:
                break
            h = x
            for layer in model.layers:
                stats[layer.name].update(h)
                h = layer.forward(h)
            seen += len(x)
            if seen >= sampling_size:
                break
        if seen == 0:
            raise DataError("the calibration dataloader yielded no samples")
        return stats

    def quantize(
        self, model: NumpyModel, tune_cfg: TuneConfig, stats: dict[str, TensorStats]
    ) -> NumpyModel:
        self.counts["quantize"] += 1
        unknown = set(tune_cfg.ops) - set(model.names)
        if unknown:
            raise ModelError(f"config names ops the model does not have: {sorted(unknown)}")
        layers = []
        for layer in model.layers:
            choice = tune_cfg.ops.get(layer.name)
            if choice is None or choice.is_fp32:
                layers.append(attrs.evolve(layer, act_q=None, precision="fp32"))
                continue
            act, weight = choice.activation, choice.weight
            lo, hi = stats[layer.name].range(act.algorithm)
            act_q = activation_qparams(lo, hi, act.dtype, act.scheme)
            w = (
                layer.weight
                if weight is None
                else fake_quant_weight(layer.weight, weight.scheme, weight.granularity)
            )
            layers.append(attrs.evolve(layer, weight=w, act_q=act_q, precision=str(choice)))
        return NumpyModel(layers)

    # -- running ---------------------------------------------------------------------
    def predict(self, model: NumpyModel, inputs: Any) -> np.ndarray:
        self.counts["predict"] += 1
        return model(_fitting(model, inputs))

    def evaluate(self, model: NumpyModel, dataloader: Iterable[Any], metric: Any) -> float:
        self.counts["evaluate"] += 1
        return super().evaluate(model, dataloader, metric)

    def inspect(
        self,
        model: NumpyModel,
        dataloader: Iterable[Any],
        op_names: Sequence[str],
        max_batches: int = 1,
    ) -> dict[str, np.ndarray]:
        index = {name: i for i, name in enumerate(model.names)}
        missing = [n for n in op_names if n not in index]
        if missing:
            raise ModelError(f"inspect: the model has no ops {missing}")
        chunks: dict[str, list[np.ndarray]] = {n: [] for n in op_names}
        for b, (inputs, _labels) in enumerate(dataloader):
            if b >= max_batches:
                break
            outs = model.forward(_fitting(model, inputs))
            for n in op_names:
                chunks[n].append(outs[index[n]])
        return {n: np.concatenate(c) for n, c in chunks.items() if c}


def _read_npz(path: Path) -> NumpyModel:
    try:
        data = np.load(path, allow_pickle=False)
        layers = []
        for i, (name, kind, prec) in enumerate(
            zip(data["names"], data["types"], data["precision"], strict=True)
        ):
            q = data[f"q{i}"] if f"q{i}" in data.files else None
            act_q = None if q is None else (float(q[0]), int(q[1]), int(q[2]), int(q[3]))
            layers.append(
                Layer(str(name), str(kind), data[f"w{i}"], data[f"b{i}"], act_q, str(prec))
            )
    except (OSError, KeyError, ValueError) as exc:
        raise ModelError(f"{path} is not a numpy-backend model file: {exc}") from exc
    return NumpyModel(layers)


@hookimpl
def lpot_register_adaptors(register: Any) -> None:
    """Register the reference backend under framework name ``numpy``."""
    register("numpy", NumpyAdaptor)
