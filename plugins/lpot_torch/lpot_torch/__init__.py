"""lpot-torch: the PyTorch backend of lpot.

Static INT8 goes through PT2E (``torch.export`` -> torchao ``X86InductorQuantizer`` ->
``prepare_pt2e``/``convert_pt2e`` -> x86 lowering); dynamic INT8 Linear goes through the
same flow with dynamic activation quantization. Importing this package does not import
torch; the adaptor imports it when it first needs it.
"""

from __future__ import annotations

__version__ = "0.1.0"


def load_quantized(path: str, example_inputs: object = None, compile: bool = False) -> object:
    """Reload a model saved by lpot's pytorch backend (a ``.pt2`` ExportedProgram).

    Returns the quantized reference graph (quantize/dequantize ops + float kernels: exact
    but slow). With ``example_inputs`` (one batch's inputs) it is lowered to oneDNN INT8
    kernels (fast, no compile); with ``compile=True`` it is ``torch.compile``-d with
    inductor freezing (fastest; compiles on first call). Plain torch works too::

        module = torch.export.load("model_int8.pt2").module()
    """
    import torch
    import torchao.quantization.pt2e  # noqa: F401  (registers the quantized_decomposed ops)

    from lpot_torch.runtime import compile_module, lower

    module = torch.export.load(str(path)).module()
    if compile:
        return compile_module(module)
    if example_inputs is not None:
        from lpot_torch.inputs import to_call_args

        return lower(module, to_call_args(example_inputs))
    return module
