"""The ONNX Runtime adaptor: lpot's :class:`~lpot_core.adaptor.Adaptor` for ONNX models.

Framework names (LPOT 1.x): ``onnxrt_qdq`` and ``onnxruntime`` (static, QDQ format, the
default), ``onnxrt_qlinearops`` (static, QOperator format), ``onnxrt_integerops``
(dynamic). Options (``Adaptor(framework, options)``):

- ``reduce_range``: ``None`` (default: on for x86 CPUs without VNNI), ``True`` or ``False``.
- ``intra_op_num_threads``: threads per session (default 0 = all cores).
- ``preprocess``: run ORT's ``quant_pre_process`` on load (default True).
- ``calibration_bins``, ``kl_quantized_bins``, ``percentile``: calibration settings.

onnx and onnxruntime are imported only when an adaptor method needs them, so importing
this module (as plugin registration does) stays cheap.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from lpot_core.adaptor import Adaptor, time_calls
from lpot_core.errors import ConfigError, ModelError
from lpot_core.space import OpCapability, TuneConfig

log = logging.getLogger(__name__)

_FORMATS = {
    "onnxruntime": "qdq",
    "onnxrt_qdq": "qdq",
    "onnxrt_qlinearops": "qoperator",
    "onnxrt_integerops": "integerops",
}


class OnnxAdaptor(Adaptor):
    """Quantizes ONNX models with ONNX Runtime (static QDQ / QOperator, dynamic)."""

    package: ClassVar[str] = "lpot-onnx"
    approaches: ClassVar[tuple[str, ...]] = ("static", "dynamic")
    option_names: ClassVar[frozenset[str] | None] = frozenset(
        {
            "reduce_range",
            "intra_op_num_threads",
            "preprocess",
            "calibration_bins",
            "kl_quantized_bins",
            "percentile",
        }
    )

    def __init__(
        self, framework: str = "onnxrt_qdq", options: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(framework, options)
        if framework not in _FORMATS:
            raise ConfigError(
                f"model.framework {framework!r} is not an ONNX Runtime framework; "
                f"use one of {sorted(_FORMATS)}"
            )
        self.format = _FORMATS[framework]
        if self.format == "integerops":  # LPOT's onnxrt_integerops means dynamic quantization
            self.approaches = ("dynamic",)
        threads = self.options.get("intra_op_num_threads", 0) or 0
        if isinstance(threads, bool) or not isinstance(threads, int) or threads < 0:
            raise ConfigError(
                f"model.options.intra_op_num_threads: {threads!r} is not a thread count; "
                "give an integer >= 1, or 0 for ONNX Runtime's default"
            )
        self.threads = threads

    # -- model --------------------------------------------------------------
    @classmethod
    def accepts(cls, model: Any) -> bool:
        """A ``.onnx`` path, an ``onnx.ModelProto`` or an :class:`OnnxModel` (no imports)."""
        if isinstance(model, (str, os.PathLike)):
            return str(model).lower().endswith(".onnx")
        module = type(model).__module__ or ""
        return module == "onnx" or module.startswith(("onnx.", "lpot_onnx."))

    def load(self, model: Any) -> Any:
        from lpot_onnx.model import load_model

        return load_model(model, preprocess=bool(self.options.get("preprocess", True)))

    def user_model(self, model: Any) -> Any:
        """``eval_func`` receives the ``onnx.ModelProto`` (as in LPOT 1.x)."""
        return model.proto

    @property
    def reduce_range(self) -> bool:
        """7-bit weights: the option if set, else on for CPUs without VNNI."""
        value = self.options.get("reduce_range")
        if value is None:
            from lpot_core.cpu import default_reduce_range

            return default_reduce_range()
        return bool(value)

    # -- quantization ---------------------------------------------------------
    def _format_for(self, approach: str) -> str:
        if approach == "dynamic":
            return "integerops"
        if approach != "static":
            raise ConfigError(
                f"quantization approach {approach!r} is not supported by "
                f"{self.framework}; use 'static' or 'dynamic'"
            )
        if self.format == "integerops":
            raise ConfigError(
                f"{self.framework} is dynamic quantization; set approach "
                "'dynamic' or use framework onnxrt_qdq / onnxrt_qlinearops"
            )
        return self.format

    def capabilities(self, model: Any, approach: str) -> Sequence[OpCapability]:
        from lpot_onnx.capabilities import capabilities

        return capabilities(model.proto, self._format_for(approach))

    def calibrate(
        self, model: Any, dataloader: Iterable[Any], sampling_size: int, algorithms: set[str]
    ) -> Any:
        from lpot_onnx import calibration
        from lpot_onnx.capabilities import quantizable_nodes

        if self.format == "integerops":
            log.info("%s quantizes activations at run time: no calibration", self.framework)
            return calibration.empty_stats()
        nodes = [n.name for n in quantizable_nodes(model.proto, self.format)]
        tensors = calibration.tensors_to_calibrate(model.proto, nodes)
        return calibration.calibrate(
            model,
            dataloader,
            sampling_size,
            tensors,
            threads=self.threads,
            bins=int(self.options.get("calibration_bins", 2048)),
            percentile=float(self.options.get("percentile", 99.999)),
            quantized_bins=int(self.options.get("kl_quantized_bins", 128)),
        )

    def quantize(self, model: Any, tune_cfg: TuneConfig, stats: Any) -> Any:
        from lpot_onnx.quantize import quantize

        fmt = self._format_for(tune_cfg.approach)
        return quantize(model, tune_cfg, stats, fmt=fmt, reduce_range=self.reduce_range)

    # -- running --------------------------------------------------------------
    def predict(self, model: Any, inputs: Any) -> Any:
        from lpot_onnx.runtime import make_feeds, outputs

        session = self._session(model)
        return outputs(session.run(None, make_feeds(session, inputs)))

    def inspect(
        self, model: Any, dataloader: Iterable[Any], op_names: Sequence[str], max_batches: int = 1
    ) -> dict[str, np.ndarray]:
        from lpot_onnx.inspect import inspect

        return inspect(self.load(model), dataloader, op_names, max_batches, self.threads)

    def latency(
        self, model: Any, inputs: Any, warmup: int, iterations: int, threads: int | None = None
    ) -> list[float]:
        """Seconds per ``session.run`` on ``inputs`` (feeds prepared once), after ``warmup``;
        ``threads`` overrides the adaptor's ``intra_op_num_threads`` for this measurement."""
        from lpot_onnx.runtime import make_feeds

        session = self._session(model, threads)
        feeds = make_feeds(session, inputs)
        return time_calls(lambda: session.run(None, feeds), warmup, iterations)

    def save(self, model: Any, path: Path) -> Path:
        from lpot_onnx.model import save_model

        return save_model(self.load(model), Path(path))

    def declined_ops(self, model: Any) -> list[str]:
        return list(getattr(model, "declined", ()))

    def model_size(self, model: Any) -> int:
        return len(self.load(model).serialized())

    def _session(self, model: Any, threads: int | None = None) -> Any:
        from lpot_onnx.model import OnnxModel

        if not isinstance(model, OnnxModel):
            model = self.load(model)
        try:
            return model.session(self.threads if threads is None else threads)
        except Exception as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ModelError(f"ONNX Runtime cannot run {model!r}: {first}") from exc
