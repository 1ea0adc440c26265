"""Paths as users write them in YAML: ``~``, ``$VAR`` and ``${VAR:-default}`` expand."""

from __future__ import annotations

import os
import re

_DEFAULTED = re.compile(r"\$\{(\w+):-([^}]*)\}")


def expand(path: str | os.PathLike[str]) -> str:
    """``${LPOT_CACHE:-~/.cache/lpot}/m.onnx`` -> ``/home/me/.cache/lpot/m.onnx``."""
    text = _DEFAULTED.sub(lambda m: os.environ.get(m.group(1)) or m.group(2), os.fspath(path))
    return os.path.expanduser(os.path.expandvars(text))
