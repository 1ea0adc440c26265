"""Looking up registered factories by name and calling them with YAML parameters.

Shared by metrics, datasets and transforms so that every "unknown name" and "bad
parameter" error reads the same way.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable, Mapping
from typing import Any

from lpot_core.errors import ConfigError


def nearest(name: str, names: list[str]) -> str | None:
    """The registered name ``name`` most likely meant (case-insensitive first)."""
    folded = {n.casefold(): n for n in names}
    if name.casefold() in folded:
        return folded[name.casefold()]
    close = difflib.get_close_matches(name.casefold(), list(folded), n=1, cutoff=0.5)
    return folded[close[0]] if close else None


def lookup(
    registry: Mapping[str, Callable[..., Any]], name: str, *, kind: str, where: str
) -> Callable[..., Any]:
    """``registry[name]``, or a ConfigError naming the nearest registered name."""
    if name in registry:
        return registry[name]
    names = sorted(registry)
    guess = nearest(str(name), names)
    hint = f"did you mean {guess!r}? " if guess else ""
    plural = kind[:-1] + "ies" if kind.endswith("y") else kind + "s"
    raise ConfigError(
        f"{where}: unknown {kind} {name!r}; {hint}registered {plural}: "
        f"{', '.join(names) or 'none'}. Fix the name or install the plugin "
        "that provides it."
    )


def describe_params(factory: Callable[..., Any]) -> str:
    """``"k=1, average='auto'"``-style list of what ``factory`` accepts."""
    try:
        sig = inspect.signature(factory)
    except (TypeError, ValueError):
        return "(unknown)"
    parts = []
    for p in sig.parameters.values():
        if p.kind is p.VAR_POSITIONAL:
            parts.append(f"*{p.name}")
        elif p.kind is p.VAR_KEYWORD:
            parts.append(f"**{p.name}")
        elif p.default is p.empty:
            parts.append(f"{p.name} (required)")
        else:
            parts.append(f"{p.name}={p.default!r}")
    return ", ".join(parts) or "no parameters"


def instantiate(factory: Callable[..., Any], params: Any, *, kind: str, name: str) -> Any:
    """Call ``factory`` with YAML ``params``: a mapping as keywords, ``None``/``{}``/``True``
    as no arguments, anything else as the one positional argument.

    Parameters the factory's signature rejects become a ConfigError listing the
    accepted ones; errors raised inside the factory propagate unchanged.
    """
    if params is None or params is True or (isinstance(params, Mapping) and not params):
        args: tuple[Any, ...] = ()
        kwargs: dict[str, Any] = {}
    elif isinstance(params, Mapping):
        args, kwargs = (), {str(k): v for k, v in params.items()}
    else:
        args, kwargs = (params,), {}
    try:
        sig = inspect.signature(factory)
    except (TypeError, ValueError):
        sig = None
    if sig is not None:
        try:
            sig.bind(*args, **kwargs)
        except TypeError as exc:
            raise _param_error(factory, params, kind, name, exc) from None
        return factory(*args, **kwargs)
    try:  # no signature to check: only a TypeError can tell
        return factory(*args, **kwargs)
    except TypeError as exc:
        raise _param_error(factory, params, kind, name, exc) from exc


def _param_error(
    factory: Callable[..., Any], params: Any, kind: str, name: str, exc: TypeError
) -> ConfigError:
    return ConfigError(
        f"{kind} {name!r} cannot be built from parameters {params!r} ({exc}); "
        f"it accepts: {describe_params(factory)}"
    )
