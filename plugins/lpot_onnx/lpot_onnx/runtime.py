"""ONNX Runtime sessions and turning a batch's inputs into a checked feed dict."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import onnxruntime as ort

from lpot_core.errors import DataError

log = logging.getLogger(__name__)

#: ORT type string -> numpy dtype.
_ORT_TYPES: dict[str, np.dtype] = {
    "tensor(float)": np.dtype(np.float32),
    "tensor(double)": np.dtype(np.float64),
    "tensor(float16)": np.dtype(np.float16),
    "tensor(int64)": np.dtype(np.int64),
    "tensor(int32)": np.dtype(np.int32),
    "tensor(int16)": np.dtype(np.int16),
    "tensor(int8)": np.dtype(np.int8),
    "tensor(uint8)": np.dtype(np.uint8),
    "tensor(bool)": np.dtype(np.bool_),
}


#: Session config value that keeps ORT from moving Q/DQ pairs across ops (see make_session).
NO_QDQ_PROPAGATION = "QDQPropagationTransformer"


def make_session(
    model: bytes | str, threads: int = 0, *, optimize: bool = True
) -> ort.InferenceSession:
    """A CPU InferenceSession; ``threads`` intra-op threads (0 = ORT default, all cores)."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = int(threads)
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # ORT's warnings about unused initializers etc. are noise
    # ORT would move a Q above a MaxPool whose producer lpot left FP32, turning a fast FP32
    # NCHWc pool into a slow int8 NCHW one (Fashion CNN: 3.2 ms vs 0.25 ms per batch of 32);
    # results are identical either way. Users running saved QDQ models should set it too.
    options.add_session_config_entry(
        "optimization.disable_specified_optimizers", NO_QDQ_PROPAGATION
    )
    if not optimize:
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    return ort.InferenceSession(model, sess_options=options, providers=["CPUExecutionProvider"])


def to_numpy(value: Any) -> np.ndarray:
    """A numpy view of ``value`` (numpy, torch tensor, list...)."""
    if isinstance(value, np.ndarray):
        return value
    if hasattr(value, "detach"):  # a torch tensor: avoid importing torch
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def make_feeds(session: ort.InferenceSession, inputs: Any) -> dict[str, np.ndarray]:
    """Map a batch's ``inputs`` (array, tuple/list, or dict name -> array) onto the model's
    inputs, checking names, ranks, static dims and dtypes; casts only when lossless."""
    specs = session.get_inputs()
    names = [s.name for s in specs]
    if isinstance(inputs, Mapping):
        unknown = [k for k in inputs if k not in names]
        missing = [n for n in names if n not in inputs]
        if unknown or missing:
            raise DataError(
                f"batch inputs {sorted(map(str, inputs))} do not match the model's "
                f"inputs {names} (missing {missing}, unexpected {unknown}); "
                "key the dict by the model's input names"
            )
        values = [inputs[n] for n in names]
    elif isinstance(inputs, (tuple, list)):
        if len(inputs) != len(names):
            raise DataError(
                f"batch has {len(inputs)} positional inputs but the model takes "
                f"{len(names)} ({names}); pass one array per model input"
            )
        values = list(inputs)
    else:
        if len(names) != 1:
            raise DataError(
                f"batch has a single array but the model takes {len(names)} "
                f"inputs {names}; pass a tuple or a dict of arrays"
            )
        values = [inputs]
    return {
        spec.name: _check_input(spec, to_numpy(v)) for spec, v in zip(specs, values, strict=True)
    }


def _check_input(spec: Any, array: np.ndarray) -> np.ndarray:
    shape = list(spec.shape)
    if array.ndim != len(shape):
        raise DataError(
            f"input {spec.name!r}: expected rank {len(shape)} shape {shape}, got "
            f"shape {list(array.shape)}; reshape the data to the model's input"
        )
    for axis, (want, got) in enumerate(zip(shape, array.shape, strict=True)):
        if isinstance(want, int) and want > 0 and want != got:
            raise DataError(
                f"input {spec.name!r}: expected shape {shape}, got "
                f"{list(array.shape)} (axis {axis}); reshape the data to the "
                "model's input"
            )
    want_dtype = _ORT_TYPES.get(spec.type)
    if want_dtype is None or array.dtype == want_dtype:
        return np.ascontiguousarray(array)
    return _cast(spec.name, array, want_dtype)


def _cast(name: str, array: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Cast when no value changes (float64 -> float32 within range, small ints...)."""
    src = array.dtype
    if array.size == 0 or src.kind == "b":
        ok = src.kind == "b" or dtype.kind != "b"
    elif dtype.kind == "f" and src.kind == "f":
        finite = array[np.isfinite(array)]
        ok = finite.size == 0 or float(np.abs(finite).max()) <= float(np.finfo(dtype).max)
    elif dtype.kind == "f" and src.kind in "iu":  # integers exactly representable
        ok = float(np.abs(array).max()) <= 2.0 ** (np.finfo(dtype).nmant + 1)
    elif dtype.kind in "iu" and src.kind in "iu":
        info = np.iinfo(dtype)
        ok = int(array.min()) >= info.min and int(array.max()) <= info.max
    else:
        ok = False
    if not ok:
        raise DataError(
            f"input {name!r}: expected dtype {dtype}, got {src} that cannot be "
            f"converted without loss; convert the data to {dtype}"
        )
    return np.ascontiguousarray(array.astype(dtype))


def batch_size(feeds: Mapping[str, np.ndarray]) -> int:
    """Samples in a feed: the first axis of the first input (1 for scalars)."""
    first = next(iter(feeds.values()))
    return int(first.shape[0]) if first.ndim else 1


def take(feeds: Mapping[str, np.ndarray], count: int) -> dict[str, np.ndarray]:
    """The first ``count`` samples of every input (a calibration budget ends mid-batch)."""
    return {k: v[:count] for k, v in feeds.items()}


def outputs(result: Sequence[np.ndarray]) -> Any:
    """One array for single-output models, else a tuple."""
    return result[0] if len(result) == 1 else tuple(result)
