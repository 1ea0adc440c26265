"""Capturing an ``nn.Module`` as a graph with ``torch.export`` (batch dimension kept dynamic)."""

from __future__ import annotations

import logging
from typing import Any

import torch
from torch.export import Dim, ExportedProgram

from lpot_core.errors import ModelError
from lpot_torch.inputs import CallArgs, batch_size, map_tensors

log = logging.getLogger(__name__)


def export_example(args: CallArgs) -> CallArgs:
    """Example arguments for export: a batch of 1 is doubled, because export specializes
    size-1 dims to a constant and the graph would then reject every other batch size."""
    if batch_size(args) == 1:
        return map_tensors(args, lambda t: torch.cat([t, t]))
    return args


def _dynamic_shapes(args: CallArgs) -> Any:
    """Dim 0 of every tensor is the batch; ``AUTO`` lets export keep it static if it must."""

    def spec(v: Any) -> Any:
        return {0: Dim.AUTO} if isinstance(v, torch.Tensor) and v.dim() > 0 else None

    positional, named = args
    shapes: dict[str, Any] | tuple[Any, ...]
    if named:
        shapes = {k: spec(v) for k, v in named.items()}
        if positional:
            raise ModelError(
                "mixing positional and keyword inputs is not supported; give a tuple or a dict"
            )
        return shapes
    return tuple(spec(v) for v in positional)


def export(module: torch.nn.Module, args: CallArgs) -> ExportedProgram:
    """``torch.export`` ``module`` on ``args`` with a dynamic batch dimension.

    Raises ModelError naming the construct export failed on and what to do about it.
    """
    args = export_example(args)
    positional, named = args
    try:
        with torch.no_grad():
            return torch.export.export(
                module,
                positional,
                named or None,
                dynamic_shapes=_dynamic_shapes(args),
                strict=False,
            )
    except ModelError:
        raise
    except Exception as exc:  # export raises many types; all mean "cannot capture"
        raise ModelError(
            f"torch.export cannot capture {type(module).__name__}: {_first_line(exc)}. "
            "Make control flow static (no Python branches on tensor values; use torch.cond), "
            "avoid data-dependent shapes, or quantize a submodule that exports"
        ) from exc


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    head = lines[0] if lines else text
    # The useful part of a data-dependent-guard error is the expression it guarded on.
    for ln in lines[1:6]:
        if "caused by" in ln.lower() or ln.startswith("File "):
            head = f"{head} ({ln})"
            break
    return f"{type(exc).__name__}: {head[:300].rstrip('.')}"
