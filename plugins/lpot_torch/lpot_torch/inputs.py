"""Turning a batch's inputs (numpy or torch; array, tuple/list, or dict) into call arguments."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from lpot_core.errors import DataError

CallArgs = tuple[tuple[Any, ...], dict[str, Any]]


def to_tensor(value: Any) -> Any:
    """A tensor for array-likes; other values (None, ints, strings) pass through."""
    if isinstance(value, torch.Tensor):
        return value
    if isinstance(value, np.ndarray):
        if value.dtype == np.float64:  # torch modules are float32; numpy defaults to float64
            value = value.astype(np.float32)
        if value.dtype == object:
            raise DataError(
                f"an input is a numpy array of objects (shape {value.shape}); give numeric arrays"
            )
        return torch.from_numpy(np.ascontiguousarray(value))
    if isinstance(value, np.generic):
        return torch.as_tensor(value.item())
    return value


def to_call_args(inputs: Any) -> CallArgs:
    """``(args, kwargs)`` for ``model(*args, **kwargs)``: a dict becomes keyword arguments,
    a tuple/list positional arguments, anything else the single positional argument."""
    if isinstance(inputs, Mapping):
        return (), {str(k): to_tensor(v) for k, v in inputs.items()}
    if isinstance(inputs, Sequence) and not isinstance(inputs, (str, bytes)):
        return tuple(to_tensor(v) for v in inputs), {}
    return (to_tensor(inputs),), {}


def tensors_of(args: CallArgs) -> list[torch.Tensor]:
    """Every tensor in the call arguments, in order."""
    positional, named = args
    return [v for v in (*positional, *named.values()) if isinstance(v, torch.Tensor)]


def batch_size(args: CallArgs) -> int | None:
    """Size of dim 0 of the first tensor input (None if there is none)."""
    for t in tensors_of(args):
        if t.dim() > 0:
            return int(t.shape[0])
    return None


def map_tensors(args: CallArgs, fn: Any) -> CallArgs:
    """Apply ``fn`` to every tensor with a batch dim."""

    def one(v: Any) -> Any:
        return fn(v) if isinstance(v, torch.Tensor) and v.dim() > 0 else v

    positional, named = args
    return tuple(one(v) for v in positional), {k: one(v) for k, v in named.items()}


def to_numpy(output: Any) -> Any:
    """Model outputs as numpy: a tensor -> array; tuples/lists -> tuples; dicts -> dicts."""
    if isinstance(output, torch.Tensor):
        return output.detach().cpu().numpy()
    if isinstance(output, Mapping):
        return {k: to_numpy(v) for k, v in output.items()}
    if isinstance(output, (tuple, list)):
        return tuple(to_numpy(v) for v in output)
    if hasattr(output, "to_tuple"):  # HF ModelOutput
        return tuple(to_numpy(v) for v in output.to_tuple())
    return output
