"""Entry point of lpot-torch: registers the adaptors; imports no torch (fast `lpot plugins`)."""

from __future__ import annotations

from lpot_core import hookimpl
from lpot_core.hookspecs import Register


@hookimpl
def lpot_register_adaptors(register: Register) -> None:
    """``pytorch``: static PT2E INT8; ``pytorch_dynamic``: dynamic INT8 Linear."""
    from lpot_torch.adaptor import TorchAdaptor, TorchDynamicAdaptor

    register("pytorch", TorchAdaptor)
    register("pytorch_fx", TorchAdaptor)  # LPOT 1.x name; PT2E replaces FX graph mode
    register("pytorch_dynamic", TorchDynamicAdaptor)
