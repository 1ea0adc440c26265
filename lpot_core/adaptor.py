"""The contract a framework backend implements.

Call order in one tuning run (the tuner owns it; an adaptor never drives the loop)::

    adaptor = AdaptorClass(framework, options)
    model = adaptor.load(user_model)                  # never mutates the user's object
    adaptor.predict / evaluate(model, ...)            # FP32 baseline
    caps = adaptor.capabilities(model, approach)      # -> TuningSpace
    stats = adaptor.calibrate(model, loader, n, algorithms)   # once per sampling size
    for each trial:
        q = adaptor.quantize(model, tune_cfg, stats)  # no recalibration here
        adaptor.evaluate(q, loader, metric) / eval_func(adaptor.user_model(q))
        adaptor.latency(q, inputs, warmup, iterations)   # if the goal is met
    adaptor.save(best, path)

Batches are ``(inputs, labels)``; ``inputs`` may be an array, a tuple/list of
arrays, or a dict of named arrays, as numpy or the framework's own tensors.
A quantized model may be of another type than its FP32 source.
"""

from __future__ import annotations

import hashlib
import tempfile
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from lpot_core.config_schema import unknown_key
from lpot_core.space import OpCapability, TuneConfig


class Adaptor(ABC):
    """A framework backend. Subclass, implement the abstract methods, register the class
    under one or more framework names with ``lpot_register_adaptors``."""

    #: pip distribution that provides this adaptor (named in "not installed" errors).
    package: ClassVar[str] = ""
    #: approaches this backend supports: "static", "dynamic".
    approaches: ClassVar[tuple[str, ...]] = ("static",)

    #: the ``model.options`` this backend reads; any other key is a ConfigError with the
    #: nearest known one suggested (None: accept anything).
    option_names: ClassVar[frozenset[str] | None] = None

    def __init__(self, framework: str, options: Mapping[str, Any] | None = None) -> None:
        self.framework = framework
        self.options = dict(options or {})
        if self.option_names is not None:
            for key in self.options:
                if key not in self.option_names:
                    raise unknown_key("model.options", key, sorted(self.option_names))

    # -- model --------------------------------------------------------------
    @classmethod
    @abstractmethod
    def accepts(cls, model: Any) -> bool:
        """True if this backend can load ``model`` (an object or a path). Must be cheap and
        must not import the framework unless the model could be one of its own."""

    @abstractmethod
    def load(self, model: Any) -> Any:
        """The backend's working copy of ``model`` (path or object); never mutate the input."""

    def fingerprint(self, model: Any) -> str:
        """A digest that changes when the model's graph or weights change (for resume)."""
        with tempfile.TemporaryDirectory() as tmp:
            path = self.save(model, Path(tmp) / "model")
            digest = hashlib.sha256()
            for f in sorted(p for p in Path(path).parent.rglob("*") if p.is_file()):
                digest.update(f.read_bytes())
        return digest.hexdigest()[:16]

    def user_model(self, model: Any) -> Any:
        """What a user's ``eval_func`` receives for ``model`` (default: the model itself)."""
        return model

    # -- quantization ---------------------------------------------------------
    @abstractmethod
    def capabilities(self, model: Any, approach: str) -> Sequence[OpCapability]:
        """Every quantizable op, in graph order, with the options it allows (preferred first)."""

    @abstractmethod
    def calibrate(
        self, model: Any, dataloader: Iterable[Any], sampling_size: int, algorithms: set[str]
    ) -> Any:
        """One pass over at most ``sampling_size`` samples collecting what every algorithm in
        ``algorithms`` needs for every activation. The result is reused by all trials."""

    @abstractmethod
    def quantize(self, model: Any, tune_cfg: TuneConfig, stats: Any) -> Any:
        """A new quantized model for ``tune_cfg`` built from ``stats``; ops the config puts in
        FP32 stay FP32. Raise :class:`lpot_core.errors.ModelError` if it cannot be done."""

    # -- running --------------------------------------------------------------
    @abstractmethod
    def predict(self, model: Any, inputs: Any) -> Any:
        """Run one batch; return numpy output(s) (an array, or a tuple of arrays)."""

    def evaluate(self, model: Any, dataloader: Iterable[Any], metric: Any) -> float:
        """Score ``model`` with ``metric`` over ``dataloader`` (resets the metric first)."""
        metric.reset()
        for inputs, labels in dataloader:
            metric.update(self.predict(model, inputs), labels)
        return float(metric.result())

    def inspect(
        self, model: Any, dataloader: Iterable[Any], op_names: Sequence[str], max_batches: int = 1
    ) -> dict[str, np.ndarray]:
        """Float outputs of the named ops over the first ``max_batches`` batches, keyed by op
        name, for FP32 and quantized models alike (used to rank ops by quantization error).
        Backends that cannot do it return ``{}``; strategies then fall back to accuracy."""
        return {}

    def latency(self, model: Any, inputs: Any, warmup: int, iterations: int) -> list[float]:
        """Seconds per forward of ``model`` on ``inputs``, ``iterations`` times after ``warmup``.

        Backends override this to time only the model's own forward (a prepared session,
        a compiled module), using :func:`time_calls`."""
        return time_calls(lambda: self.predict(model, inputs), warmup, iterations)

    def declined_ops(self, model: Any) -> list[str]:
        """Ops of a quantized ``model`` that its config quantized but the backend left in
        FP32 (a pattern it cannot fuse, an op whose input stayed FP32); reported to users.
        Default: none known."""
        return []

    def model_size(self, model: Any) -> int:
        """Bytes the saved model takes on disk."""
        with tempfile.TemporaryDirectory() as tmp:
            path = self.save(model, Path(tmp) / "model")
            return sum(p.stat().st_size for p in Path(path).parent.rglob("*") if p.is_file())

    @abstractmethod
    def save(self, model: Any, path: Path) -> Path:
        """Write ``model`` next to ``path`` (the adaptor adds its suffix); return the file."""


def time_calls(call: Callable[[], Any], warmup: int, iterations: int) -> list[float]:
    """Seconds taken by each of ``iterations`` calls of ``call``, after ``warmup`` untimed ones."""
    for _ in range(warmup):
        call()
    times = []
    for _ in range(iterations):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return times
