"""Entry point of lpot-onnx: registers the ONNX Runtime adaptor under its framework names.

Importing this module must stay cheap: it imports neither onnx nor onnxruntime.
"""

from __future__ import annotations

from lpot_core import hookimpl
from lpot_core.hookspecs import Register

#: framework name -> (approach, ORT quant format) it stands for (LPOT 1.x names).
FRAMEWORKS: dict[str, tuple[str, str]] = {
    "onnxruntime": ("static", "qdq"),
    "onnxrt_qdq": ("static", "qdq"),
    "onnxrt_qlinearops": ("static", "qoperator"),
    "onnxrt_integerops": ("dynamic", "integerops"),
}


@hookimpl
def lpot_register_adaptors(register: Register) -> None:
    """Register :class:`lpot_onnx.adaptor.OnnxAdaptor` under every ONNX framework name."""
    from lpot_onnx.adaptor import OnnxAdaptor  # adaptor.py imports onnx lazily too

    for name in FRAMEWORKS:
        register(name, OnnxAdaptor)
