"""Reading back what the pytorch backend saved: ``.pt2`` (quantized) and ``.pt`` (FP32)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from lpot_core.errors import ModelError
from lpot_torch.models import QuantizedTorchModel, TorchModel

QDQ_NAMESPACE = "quantized_decomposed"


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
