"""What the CPU can do, for backend choices that change accuracy or speed.

Backends ask :func:`default_reduce_range`: on x86 CPUs without an int8 dot-product
instruction (VNNI), u8*s8 products are summed in saturating 16-bit lanes (vpmaddubsw), so
full-range 8-bit operands lose accuracy; 7-bit ones (``reduce_range``) are safe.
"""

from __future__ import annotations

import functools
import platform
from pathlib import Path

#: flags of an int8 dot product that accumulates in 32 bits
VNNI_FLAGS = frozenset({"avx512_vnni", "avx_vnni", "amx_int8", "avx_vnni_int8"})
_X86 = ("x86_64", "amd64", "i386", "i686", "x86")


@functools.lru_cache(maxsize=1)
def cpu_info() -> tuple[str, frozenset[str]]:
    """(model name, flags) of the first CPU in /proc/cpuinfo; empty where unreadable."""
    model, flags = "", frozenset()
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return model, flags
    for line in text.splitlines():
        if line.startswith("flags") and not flags:
            flags = frozenset(line.split(":", 1)[1].split())
        elif line.startswith("model name") and not model:
            model = line.split(":", 1)[1].strip()
    return model, flags


def is_x86() -> bool:
    return platform.machine().lower() in _X86


def has_vnni() -> bool:
    """True if int8 dot products cannot saturate: x86 with VNNI/AMX, or a non-x86 CPU (ARM's
    sdot/udot accumulate in 32 bits). False for an x86 CPU whose flags are unknown."""
    return not is_x86() or bool(cpu_info()[1] & VNNI_FLAGS)


def default_reduce_range() -> bool:
    """7-bit quantized operands where 8-bit ones could saturate (no VNNI)."""
    return not has_vnni()
