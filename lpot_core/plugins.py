"""The plugin manager and typed access to everything plugins register.

``get_plugin_manager()`` loads every entry point in group ``lpot`` (built-ins included:
lpot-core registers its own strategies, metrics and datasets that way). Set
``LPOT_DISABLE_PLUGIN_AUTOLOAD=1`` to load none and register plugins by hand.
"""

from __future__ import annotations

import importlib.metadata
import os
from collections.abc import Callable
from typing import Any

import pluggy

from lpot_core import hookspecs
from lpot_core.errors import AdaptorNotFoundError, PluginError

GROUP = "lpot"

#: framework name -> the backend distribution that provides it.
KNOWN_BACKENDS: dict[str, str] = {
    "onnxrt_qlinearops": "lpot-onnx",
    "onnxrt_qdq": "lpot-onnx",
    "onnxrt_integerops": "lpot-onnx",
    "onnxruntime": "lpot-onnx",
    "pytorch": "lpot-torch",
    "pytorch_dynamic": "lpot-torch",
    "pytorch_fx": "lpot-torch",
    "tensorflow": "lpot-tf",
    "keras": "lpot-tf",
    "tflite": "lpot-tf",
    "mxnet": "lpot-mxnet",
}
#: backends that exist, and where: they are not on PyPI yet, so name the folder
#: (pointing users at an unregistered PyPI name would invite typosquatting).
BACKEND_SOURCES: dict[str, str] = {
    "lpot-onnx": "./plugins/lpot_onnx",
    "lpot-torch": "./plugins/lpot_torch",
}


def install_hint(package: str) -> str:
    """How to get a backend distribution, or that it does not exist yet."""
    if package in BACKEND_SOURCES:
        source = BACKEND_SOURCES[package]
        return f"install {package} (from the lpot repository: `pip install {source}`)"
    return f"the {package} backend is planned but not available yet"


def get_plugin_manager(load_entrypoints: bool | None = None) -> pluggy.PluginManager:
    """A fresh plugin manager with lpot's hookspecs and the installed plugins.

    ``load_entrypoints=None`` loads them unless ``LPOT_DISABLE_PLUGIN_AUTOLOAD`` is set.
    """
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    if load_entrypoints is None:
        load_entrypoints = not os.environ.get("LPOT_DISABLE_PLUGIN_AUTOLOAD")
    if load_entrypoints:
        try:
            pm.load_setuptools_entrypoints(GROUP)
        except Exception as exc:  # a broken third-party plugin must say who it is
            raise PluginError(
                f"a plugin in entry-point group {GROUP!r} failed to load: "
                f"{type(exc).__name__}: {exc}. Reinstall or uninstall it."
            ) from exc
    pm.check_pending()
    return pm


def _collect(pm: pluggy.PluginManager, hook_name: str, kind: str) -> dict[str, Any]:
    """Call one registration hook per plugin, so duplicates can name both plugins."""
    found: dict[str, Any] = {}
    owner: dict[str, str] = {}
    for impl in getattr(pm.hook, hook_name).get_hookimpls():
        plugin = impl.plugin_name

        def register(name: str, obj: Any, _plugin: str = plugin) -> None:
            if not isinstance(name, str) or not name:
                raise PluginError(
                    f"plugin {_plugin!r} registered a {kind} with name {name!r}; "
                    "names must be non-empty strings"
                )
            if name in found and found[name] is not obj:
                raise PluginError(
                    f"{kind} {name!r} is registered by both plugin "
                    f"{owner[name]!r} and plugin {_plugin!r}; uninstall one "
                    "or rename it"
                )
            found[name] = obj
            owner[name] = _plugin

        impl.function(register=register)
    return found


def adaptors(pm: pluggy.PluginManager) -> dict[str, type]:
    """Framework name -> Adaptor class."""
    return _collect(pm, "lpot_register_adaptors", "adaptor")


def strategies(pm: pluggy.PluginManager) -> dict[str, type]:
    """Strategy name -> Strategy class."""
    return _collect(pm, "lpot_register_strategies", "strategy")


def metrics(pm: pluggy.PluginManager) -> dict[str, Callable[..., Any]]:
    """Metric name -> factory."""
    return _collect(pm, "lpot_register_metrics", "metric")


def datasets(pm: pluggy.PluginManager) -> dict[str, Callable[..., Any]]:
    """Dataset name -> factory."""
    return _collect(pm, "lpot_register_dataloaders", "dataset")


def transforms(pm: pluggy.PluginManager) -> dict[str, Callable[..., Any]]:
    """Transform name -> factory."""
    return _collect(pm, "lpot_register_transforms", "transform")


def get_adaptor_class(
    pm: pluggy.PluginManager, framework: str | None, model: Any
) -> tuple[str, type]:
    """The (framework name, Adaptor class) for ``model``: by name if given, else the first
    adaptor whose ``accepts(model)`` says yes."""
    available = adaptors(pm)
    if framework:
        if framework in available:
            return framework, available[framework]
        package = KNOWN_BACKENDS.get(framework)
        hint = (
            install_hint(package)
            if package
            else f"installed frameworks: {', '.join(sorted(available)) or 'none'}"
        )
        raise AdaptorNotFoundError(f"no installed backend provides framework {framework!r}; {hint}")
    seen: set[type] = set()
    for name, cls in available.items():
        if cls in seen:
            continue
        seen.add(cls)
        if cls.accepts(model):
            return name, cls
    installed = ", ".join(sorted(available)) or "none"
    sources = ", ".join(f"{name}: pip install {src}" for name, src in BACKEND_SOURCES.items())
    raise AdaptorNotFoundError(
        f"no installed backend accepts a model of type {type(model).__name__} "
        f"({str(model)[:80]!r}); installed frameworks: {installed}. Install the backend for "
        f"your framework ({sources}) or set model.framework."
    )


def describe(pm: pluggy.PluginManager) -> list[dict[str, Any]]:
    """Name, distribution, version and hooks of every registered plugin (for `lpot plugins`)."""
    dists = {id(plugin): dist for plugin, dist in pm.list_plugin_distinfo()}
    rows = []
    for name, plugin in pm.list_name_plugin():
        if plugin is None:
            continue
        dist = dists.get(id(plugin))
        hooks = sorted(h.name for h in pm.get_hookcallers(plugin) or [])
        rows.append(
            {
                "name": name,
                "distribution": dist.project_name if dist else None,
                "version": dist.version if dist else None,
                "module": getattr(plugin, "__name__", repr(plugin)),
                "hooks": hooks,
            }
        )
    return rows


def distribution_version(name: str) -> str | None:
    """Installed version of a distribution, or None."""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None
