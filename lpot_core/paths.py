"""Paths as users write them in YAML: ``~``, ``$VAR`` and ``${VAR:-default}`` expand."""

from __future__ import annotations

import os
import re

from lpot_core.errors import ConfigError

_DEFAULTED = re.compile(r"\$\{(\w+):-([^}]*)\}")
_VARIABLE = re.compile(r"\$(\w+|\{\w+\})")


def expand(path: str | os.PathLike[str], where: str = "path") -> str:
    """``${LPOT_CACHE:-~/.cache/lpot}/m.onnx`` -> ``/home/me/.cache/lpot/m.onnx``.

    An unset variable without a default is a ConfigError naming ``where`` (the YAML key),
    rather than a path with a literal ``$VAR`` in it that is then "not found".
    """
    text = _DEFAULTED.sub(lambda m: os.environ.get(m.group(1)) or m.group(2), os.fspath(path))
    expanded = os.path.expandvars(text)
    unset = _VARIABLE.search(expanded)
    if unset:
        name = unset.group(1).strip("{}")
        raise ConfigError(
            f"{where}: environment variable {name} is not set (in {os.fspath(path)!r}); "
            f"set it, or give a default: ${{{name}:-/some/path}}"
        )
    return os.path.expanduser(expanded)
