"""The lpot adaptors for PyTorch: ``pytorch`` (static PT2E INT8) and ``pytorch_dynamic``.

Importing this module does not import torch: the plugin registers these classes while
``lpot plugins`` runs, and torch (several seconds to import) loads on first real use.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from lpot_core.adaptor import Adaptor, time_calls
from lpot_core.errors import DataError, ModelError
from lpot_core.space import OpCapability, OpChoice, TensorChoice, TensorOptions, TuneConfig

log = logging.getLogger(__name__)

STATIC_ACTIVATION = TensorOptions(
    dtype=("uint8",),
    scheme=("asym",),
    granularity=("per_tensor",),
    algorithm=("minmax", "kl", "percentile"),
)
DYNAMIC_ACTIVATION = TensorOptions(
    dtype=("uint8",), scheme=("asym",), granularity=("per_tensor",), algorithm=("minmax",)
)
WEIGHT = TensorOptions(
    dtype=("int8",),
    scheme=("sym",),
    granularity=("per_channel", "per_tensor"),
    algorithm=("minmax",),
)
WEIGHTED_TYPES = ("Conv1d", "Conv2d", "Linear")
SUFFIXES = (".pt2", ".pt", ".pth")
DEFAULT_CHOICE = OpChoice(
    TensorChoice("uint8", "asym", "per_tensor", "minmax"),
    TensorChoice("int8", "sym", "per_channel", "minmax"),
)


def _is_module(model: Any) -> bool:
    """True if ``model``'s class derives from torch.nn.Module (checked without importing torch)."""
    return any(
        c.__module__ == "torch.nn.modules.module" and c.__name__ == "Module"
        for c in type(model).__mro__
    )


class TorchAdaptor(Adaptor):
    """PT2E backend: ``torch.export`` -> torchao ``X86InductorQuantizer`` -> oneDNN INT8.

    Options (``model.options`` in the YAML): ``reduce_range`` (default: True on CPUs
    without VNNI), ``percentile`` (99.999), ``latency_backend`` ("inductor": compile FP32
    and INT8 alike before timing; "eager": time the eager/lowered modules),
    ``example_inputs`` (a batch's inputs, if lpot sees none before it needs to export).
    """

    package: ClassVar[str] = "lpot-torch"
    approaches: ClassVar[tuple[str, ...]] = ("static", "dynamic")
    option_names: ClassVar[frozenset[str] | None] = frozenset(
        {"reduce_range", "percentile", "latency_backend", "example_inputs"}
    )

    def __init__(self, framework: str, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(framework, options)
        rr = self.options.get("reduce_range")
        if rr is None:
            from lpot_core.cpu import default_reduce_range

            rr = default_reduce_range()
        self.reduce_range = bool(rr)
        self.percentile = float(self.options.get("percentile", 99.999))
        self.latency_backend = str(self.options.get("latency_backend", "inductor"))
        if self.latency_backend not in ("inductor", "eager"):
            raise ModelError(
                f"model.options.latency_backend: {self.latency_backend!r} is not "
                "one of 'inductor', 'eager'"
            )

    # -- model --------------------------------------------------------------------------
    @classmethod
    def accepts(cls, model: Any) -> bool:
        """An ``nn.Module``, or a path to a model this backend saved (.pt2 / .pt)."""
        if isinstance(model, str | Path):
            return str(model).endswith(SUFFIXES)
        return _is_module(model)

    def load(self, model: Any) -> Any:
        from lpot_torch.models import QuantizedTorchModel, TorchModel

        if isinstance(model, TorchModel | QuantizedTorchModel):
            return model
        if isinstance(model, str | Path):
            from lpot_torch.persist import load_path

            return load_path(Path(model))
        if not _is_module(model):
            raise ModelError(
                f"the pytorch backend takes a torch.nn.Module, not a "
                f"{type(model).__name__}; load your model in Python first"
            )
        import copy

        try:
            module = copy.deepcopy(model)
        except Exception as exc:
            raise ModelError(
                f"cannot copy {type(model).__name__} ({exc}); lpot never "
                "modifies your model, so it must support copy.deepcopy"
            ) from exc
        with contextlib.suppress(NotImplementedError):  # exported modules are eval-only
            module.eval()
        loaded = TorchModel(module)
        if self.options.get("example_inputs") is not None:
            from lpot_torch.inputs import to_call_args

            loaded.example = to_call_args(self.options["example_inputs"])
        return loaded

    def fingerprint(self, model: Any) -> str:
        """Digest of the class, structure and every weight (no export needed)."""
        import torch

        module = model.module if hasattr(model, "module") else model.reference
        digest = hashlib.sha256(type(module).__qualname__.encode())
        digest.update(repr(module).encode())
        for name, tensor in sorted(module.state_dict().items()):
            digest.update(name.encode())
            if isinstance(tensor, torch.Tensor):
                digest.update(
                    tensor.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy()
                )
        return digest.hexdigest()[:16]

    def user_model(self, model: Any) -> Any:
        """An nn.Module to call: the FP32 copy, or the quantized model lowered to INT8."""
        from lpot_torch.models import QuantizedTorchModel

        if isinstance(model, QuantizedTorchModel):
            return self._runnable(model)
        return model.module

    # -- quantization ---------------------------------------------------------------------
    def capabilities(self, model: Any, approach: str) -> Sequence[OpCapability]:
        self._ensure_exported(model)
        caps = []
        from lpot_torch.ops import slow_in_int8

        nodes = {n.name: n for n in model.exported.graph.nodes}
        for name, (op_type, node_name) in model.ops.items():
            weighted = op_type in WEIGHTED_TYPES
            if approach == "dynamic":
                if op_type != "Linear":  # dynamic INT8 is for Linear (transformers)
                    continue
                caps.append(OpCapability(name, op_type, DYNAMIC_ACTIVATION, WEIGHT))
            else:
                caps.append(
                    OpCapability(
                        name,
                        op_type,
                        STATIC_ACTIVATION,
                        WEIGHT if weighted else None,
                        prefer_fp32=slow_in_int8(nodes.get(node_name)),
                    )
                )
        slow = [c.name for c in caps if c.prefer_fp32]
        if slow:
            log.info("starting in FP32 (faster than INT8 at this size): %s", ", ".join(slow))
        return caps

    def calibrate(
        self, model: Any, dataloader: Iterable[Any], sampling_size: int, algorithms: set[str]
    ) -> Any:
        from lpot_torch.calibration import collect, split_batch
        from lpot_torch.inputs import to_call_args

        if model.example is None:
            first = next(iter(dataloader), None)
            if first is None:
                raise DataError(
                    "the calibration dataloader yielded no batches; give it at "
                    "least one (inputs, labels) batch"
                )
            model.example = to_call_args(split_batch(first))
        self._ensure_exported(model)
        return collect(model.graph_copy(), dataloader, sampling_size, set(algorithms))

    def quantize(self, model: Any, tune_cfg: TuneConfig, stats: Any) -> Any:
        from lpot_torch.quantize import build

        self._ensure_exported(model)
        return build(
            model, tune_cfg, stats, reduce_range=self.reduce_range, percentile=self.percentile
        )

    # -- running --------------------------------------------------------------------------
    def predict(self, model: Any, inputs: Any) -> Any:
        from lpot_torch.inputs import to_call_args, to_numpy
        from lpot_torch.models import TorchModel

        args = to_call_args(inputs)
        if not isinstance(model, TorchModel) and model.example is None:
            model.example = args  # a reloaded model: lower it for this batch's signature
        runnable = model.module if isinstance(model, TorchModel) else self._runnable(model)
        output = to_numpy(self._call(runnable, args))
        if isinstance(model, TorchModel) and model.example is None:
            model.example = args  # a batch the model accepts: the example to export with
        return output

    def inspect(
        self, model: Any, dataloader: Iterable[Any], op_names: Sequence[str], max_batches: int = 1
    ) -> dict[str, np.ndarray]:
        from lpot_torch.activations import op_outputs
        from lpot_torch.models import TorchModel

        if isinstance(model, TorchModel):
            self._ensure_exported(model)
            graph = model.cache.get("fp32_graph")
            if graph is None:
                graph = model.cache["fp32_graph"] = self._fp32_graph(model)
            op_nodes = {name: node for name, (_, node) in model.ops.items()}
        else:
            graph, op_nodes = model.reference, model.op_nodes
        return op_outputs(graph, op_nodes, dataloader, op_names, max_batches)

    def latency(
        self, model: Any, inputs: Any, warmup: int, iterations: int, threads: int | None = None
    ) -> list[float]:
        """Seconds per forward of the fastest form: inductor-compiled (FP32 and INT8 alike,
        so ratios compare like with like) unless ``latency_backend: eager``. ``threads``
        sets torch's intra-op threads for the measurement."""
        import torch

        if threads is None:
            return self._latency(model, inputs, warmup, iterations)
        before = torch.get_num_threads()
        torch.set_num_threads(threads)
        try:
            return self._latency(model, inputs, warmup, iterations)
        finally:
            torch.set_num_threads(before)

    def _latency(self, model: Any, inputs: Any, warmup: int, iterations: int) -> list[float]:
        from lpot_torch.inputs import to_call_args
        from lpot_torch.models import TorchModel

        args = to_call_args(inputs)
        if isinstance(model, TorchModel) and model.example is None:
            self._call(model.module, args)  # fails with DataError on a batch that does not fit
            model.example = args
        runnable = self.fast_module(model)
        try:
            self._call(runnable, args, compiling=True)  # the first call compiles
        except ModelError as exc:
            log.warning("%s; timing the uncompiled model instead", exc)
            runnable = model.cache["compiled"] = self._eager_form(model)
        return time_calls(lambda: self._call(runnable, args), warmup, iterations)

    def fast_module(self, model: Any) -> Any:
        """The module :meth:`latency` times (compiled once per model and cached)."""
        from lpot_torch.models import TorchModel
        from lpot_torch.runtime import compile_module

        if self.latency_backend == "eager":
            return self._eager_form(model)
        if "compiled" not in model.cache:
            source = model.module if isinstance(model, TorchModel) else model.reference
            model.cache["compiled"] = compile_module(source)
        return model.cache["compiled"]

    def save(self, model: Any, path: Path) -> Path:
        """Quantized: ``<path>.pt2`` (``torch.export.save``; reload with
        :func:`lpot_torch.load_quantized`). FP32: ``<path>.pt`` (``torch.save`` of the module),
        or, for a module whose class cannot be pickled (defined in a function), the exported
        program ``<path>.pt2`` (or its ``state_dict`` if it was never exported)."""
        import torch

        from lpot_torch.models import TorchModel

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(model, TorchModel):
            from lpot_torch.persist import save_fp32

            return save_fp32(model, path)
        from lpot_torch.capture import export

        target = path.with_suffix(".pt2")
        torch.export.save(export(model.reference, model.example), target)
        return target

    # -- helpers --------------------------------------------------------------------------
    def _ensure_exported(self, model: Any) -> None:
        """Export the FP32 module and list its quantizable ops (once)."""
        if model.exported is not None:
            return
        if model.example is None:
            raise ModelError(
                "lpot needs an example batch to export the model before "
                "listing its ops; give a calibration dataloader, or set model "
                "option example_inputs"
            )
        import warnings

        from torchao.quantization.pt2e.quantize_pt2e import prepare_pt2e

        from lpot_torch.capture import export
        from lpot_torch.quantizer import LpotX86Quantizer

        model.exported = export(model.module, model.example)
        discover = LpotX86Quantizer(None, DEFAULT_CHOICE, self.reduce_range)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            prepare_pt2e(model.graph_copy(), discover)
        model.ops = discover.ops
        log.info("%s: %d quantizable ops", type(model.module).__name__, len(model.ops))

    def _fp32_graph(self, model: Any) -> Any:
        """The exported graph with batch norm folded as in every trial, nothing quantized."""
        import warnings

        from torchao.quantization.pt2e.quantize_pt2e import prepare_pt2e

        from lpot_torch.quantizer import LpotX86Quantizer

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return prepare_pt2e(
                model.graph_copy(), LpotX86Quantizer({}, DEFAULT_CHOICE, self.reduce_range)
            )

    def _eager_form(self, model: Any) -> Any:
        from lpot_torch.models import TorchModel

        return model.module if isinstance(model, TorchModel) else self._runnable(model)

    def _runnable(self, model: Any) -> Any:
        """The quantized model lowered to oneDNN INT8 kernels (built once)."""
        if "lowered" not in model.cache:
            from lpot_torch.runtime import lower

            try:
                model.cache["lowered"] = lower(model.reference, model.example)
            except Exception as exc:  # an op the lowering cannot take: still correct, slower
                log.warning(
                    "lowering to oneDNN failed (%s: %s); running the reference graph",
                    type(exc).__name__,
                    str(exc).splitlines()[0][:200],
                )
                model.cache["lowered"] = model.reference
        return model.cache["lowered"]

    @staticmethod
    def _call(module: Any, args: Any, compiling: bool = False) -> Any:
        """Run ``module``; input mismatches become DataError, compiler failures ModelError."""
        from lpot_torch.runtime import run

        try:
            return run(module, args)
        except (RuntimeError, TypeError, ValueError, AssertionError, IndexError) as exc:
            if compiling and type(exc).__module__.startswith("torch._"):
                raise ModelError(
                    f"torch.compile failed: {type(exc).__name__}: {str(exc).splitlines()[0][:300]}"
                ) from exc
            shapes = [tuple(t.shape) for t in _tensors(args)]
            raise DataError(
                f"inputs of shapes {shapes} do not fit the model: "
                f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}. "
                "Check the batch's shapes, dtypes and argument names"
            ) from exc


class TorchDynamicAdaptor(TorchAdaptor):
    """Dynamic INT8 Linear (weights INT8 ahead of time, activations quantized per batch):
    for transformer-style models; no calibration data needed."""

    approaches: ClassVar[tuple[str, ...]] = ("dynamic",)


def _tensors(args: Any) -> list[Any]:
    from lpot_torch.inputs import tensors_of

    return tensors_of(args)
