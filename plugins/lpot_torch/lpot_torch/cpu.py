"""What the CPU can do, for choices that change accuracy (``reduce_range``)."""

from __future__ import annotations

import functools
from pathlib import Path

# Flags meaning the CPU has an int8 dot-product instruction (u8*s8 sums without the
# 16-bit saturation of vpmaddubsw), so full-range uint8 activations are safe.
_VNNI_FLAGS = ("avx512_vnni", "avx_vnni", "amx_int8")


@functools.lru_cache(maxsize=1)
def has_vnni() -> bool:
    """True if /proc/cpuinfo lists a VNNI/AMX flag (False when unknown: the safe choice)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    for line in text.splitlines():
        if line.startswith("flags"):
            flags = set(line.split(":", 1)[1].split())
            return any(f in flags for f in _VNNI_FLAGS)
    return False


def default_reduce_range() -> bool:
    """7-bit activations on CPUs without VNNI: 8-bit ones overflow there (DESIGN §6)."""
    return not has_vnni()
