"""Saving FP32 working copies, and reading back what the pytorch backend saved: ``.pt2``
(quantized, or an exported FP32 program) and ``.pt`` (FP32)."""

from __future__ import annotations

import logging
import pickle
from pathlib import Path
from typing import Any

import torch

from lpot_core.errors import ModelError
from lpot_torch.models import QuantizedTorchModel, TorchModel

QDQ_NAMESPACE = "quantized_decomposed"
log = logging.getLogger(__name__)


def load_path(path: Path) -> Any:
    """A :class:`QuantizedTorchModel` for a quantized ``.pt2``, a :class:`TorchModel` for an
    FP32 ``.pt2`` or a pickled module (``.pt``/``.pth``)."""
    if not path.is_file():
        raise ModelError(f"no model file at {path}; give the path lpot saved (.pt2 or .pt)")
    try:
        if path.suffix == ".pt2":
            import torchao.quantization.pt2e  # noqa: F401  (registers quantized_decomposed ops)

            program = torch.export.load(str(path))
            module = program.module()
            if any(QDQ_NAMESPACE in str(n.target) for n in module.graph.nodes):
                return QuantizedTorchModel(
                    reference=module,
                    example=None,
                    approach="static",
                    tune_cfg=None,
                    quantized_ops={},
                    op_nodes={},
                )
            return TorchModel(module)  # exported modules are eval-only; re-exported on need
        module = torch.load(str(path), weights_only=False)
    except Exception as exc:
        raise ModelError(
            f"cannot read {path}: {type(exc).__name__}: "
            f"{str(exc).splitlines()[0][:200] if str(exc) else ''}; "
            "is it a file lpot's pytorch backend saved?"
        ) from exc
    if not isinstance(module, torch.nn.Module):
        raise ModelError(f"{path} holds a {type(module).__name__}, not a torch.nn.Module")
    return TorchModel(module.eval())


def save_fp32(model: TorchModel, path: Path) -> Path:
    """Save an FP32 working copy: the module if picklable, else its export or state_dict."""
    target = path.with_suffix(".pt")
    try:
        torch.save(model.module, target)
        return target
    except (AttributeError, TypeError, pickle.PicklingError) as exc:
        target.unlink(missing_ok=True)
        reason = str(exc).splitlines()[0][:200]
    if model.exported is not None:
        log.info("%s; saving the exported program instead", reason)
        target = path.with_suffix(".pt2")
        torch.export.save(model.exported, target)
        return target
    log.warning("%s; saving only the state_dict (load it into your own class)", reason)
    torch.save(model.module.state_dict(), target)
    return target
