"""The generic machinery behind :mod:`lpot_core.config`: field parsers and a schema walker.

A config class is an ``@section``-decorated attrs class. Each field carries a *parser*
``parse(value, path) -> value`` in its metadata (or, for a nested section, one derived
from its type annotation). The parser validates and normalizes (a scalar becomes a
1-tuple, a YAML mapping becomes a nested section) and is idempotent, so the same
function serves three callers:

* :func:`build` walks a YAML mapping, rejects unknown keys (suggesting the nearest valid
  one), and parses every value with its dotted path, e.g. ``tuning.exit_policy.max_trials``;
* the attrs converter parses values given in Python, with the path ``ExitPolicy.max_trials``;
* :func:`dump` turns an instance back into plain YAML-able data.

Error messages always read ``<dotted.path>: expected <what>, got <value>``.
"""

from __future__ import annotations

import contextvars
import difflib
import functools
import re
import sys
import types
import typing
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any

import attrs
import yaml

from lpot_core.errors import ConfigError
from lpot_core.space import OpSpec

Parser = Callable[[Any, str], Any]

# The dotted path of the section being built from YAML, for cross-field checks that run
# in __attrs_post_init__ (which cannot be told the path any other way).
_SECTION_PATH: contextvars.ContextVar[str | None] = contextvars.ContextVar("path", default=None)


# -- messages -------------------------------------------------------------------------
def join(path: str, key: Any) -> str:
    """``join("tuning", "objective") == "tuning.objective"``; the root path is ``""``."""
    return f"{path}.{key}" if path else str(key)


def fail(path: str, expected: str, value: Any) -> ConfigError:
    """The standard error: ``path: expected <what>, got <value>``."""
    shown = repr(value) if not isinstance(value, Mapping | list) else _short(value)
    return ConfigError(f"{path or 'top level'}: expected {expected}, got {shown}")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def suggest(key: Any, valid: Iterable[str]) -> str | None:
    """The valid key nearest to a misspelled ``key``, if any is close."""
    near = difflib.get_close_matches(str(key), list(valid), n=1, cutoff=0.6)
    return near[0] if near else None


def unknown_key(path: str, key: Any, valid: Iterable[str]) -> ConfigError:
    """``path: unknown key 'relativ' (did you mean 'relative'?)``."""
    valid = list(valid)
    near = suggest(key, valid)
    hint = f"did you mean {near!r}?" if near else f"valid keys: {', '.join(valid)}"
    return ConfigError(f"{path or 'top level'}: unknown key {key!r} ({hint})")


# -- scalar parsers ---------------------------------------------------------------------
def integer(minimum: int | None = None) -> Parser:
    """An int (never a bool), optionally ``>= minimum``."""
    expected = "an integer" + (f" >= {minimum}" if minimum is not None else "")

    def parse(value: Any, path: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise fail(path, expected, value)
        if minimum is not None and value < minimum:
            raise fail(path, expected, value)
        return value

    return parse


def number(minimum: float | None = None, below: float | None = None) -> Parser:
    """A float or int (never a bool) in ``[minimum, below)``; returned as float."""
    bounds = [
        f">= {minimum}" if minimum is not None else "",
        f"< {below}" if below is not None else "",
    ]
    expected = " and ".join(["a number", *[b for b in bounds if b]]).replace(" and ", " ", 1)

    def parse(value: Any, path: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
            raise fail(path, expected, value)  # value != value: NaN is not a number here
        if (minimum is not None and value < minimum) or (below is not None and value >= below):
            raise fail(path, expected, value)
        return float(value)

    return parse


def text(value: Any, path: str) -> str:
    """A non-empty string."""
    if not isinstance(value, str) or not value:
        raise fail(path, "a non-empty string", value)
    return value


def boolean(value: Any, path: str) -> bool:
    """``true`` or ``false`` (YAML booleans, not strings or numbers)."""
    if not isinstance(value, bool):
        raise fail(path, "true or false", value)
    return value


def choice(*allowed: str) -> Parser:
    """One of ``allowed``; the message lists them."""

    def parse(value: Any, path: str) -> str:
        if value not in allowed:
            raise fail(path, f"one of {', '.join(allowed)}", value)
        return value

    return parse


def optional(parser: Parser) -> Parser:
    """``parser``, or ``None``."""
    return lambda value, path: None if value is None else parser(value, path)


# -- collections ------------------------------------------------------------------------
def names(value: Any, path: str) -> tuple[str, ...]:
    """A string or a list of strings, as a tuple (tensor names)."""
    items = [value] if isinstance(value, str) else value
    if (
        not isinstance(items, list | tuple)
        or not items
        or not all(isinstance(v, str) and v for v in items)
    ):
        raise fail(path, "a name or a non-empty list of names", value)
    return tuple(items)


def positive_ints(value: Any, path: str) -> tuple[int, ...]:
    """An int, a list of ints, or LPOT's ``"50, 100"`` string; each > 0."""
    expected = "a positive integer or a list of them"
    items = value
    if isinstance(value, str):
        try:
            items = [int(v) for v in value.split(",")]
        except ValueError:
            raise fail(path, expected, value) from None
    elif not isinstance(value, list | tuple):
        items = [value]
    if not items or any(isinstance(v, bool) or not isinstance(v, int) or v <= 0 for v in items):
        raise fail(path, expected, value)
    return tuple(items)


def mapping(value: Any, path: str) -> dict[str, Any]:
    """Any mapping with string keys (``None`` means empty), copied into a plain dict."""
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise fail(path, "a mapping of names to values", value)
    return dict(value)


def named(value: Any, path: str, what: str = "entry") -> tuple[str, dict[str, Any]]:
    """LPOT's one-key form ``{Name: {param: value}}`` (or just ``Name``) -> ``(Name, params)``."""
    if isinstance(value, str) and value:
        return value, {}
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str):
        return value[0], mapping(value[1], join(path, value[0]))
    if not isinstance(value, Mapping) or len(value) != 1:
        got = (
            f"{len(value)} keys ({', '.join(map(str, value))})"
            if isinstance(value, Mapping)
            else _short(value)
        )
        raise ConfigError(
            f"{path}: expected exactly one {what} like {{Name: {{param: value}}}}, got {got}"
        )
    ((name, params),) = value.items()
    return text(name, path), mapping(params, join(path, name))


def named_list(value: Any, path: str) -> tuple[tuple[str, dict[str, Any]], ...]:
    """Ordered ``{Name: params, ...}`` or a list of one-key mappings -> tuple of pairs."""
    if value is None:
        return ()
    if isinstance(value, Mapping):
        items: Iterable[Any] = [{k: v} for k, v in value.items()]
    elif isinstance(value, list | tuple):
        items = value
    else:
        raise fail(path, "a mapping {Name: {param: value}, ...} or a list of them", value)
    return tuple(named(item, f"{path}[{i}]", "transform") for i, item in enumerate(items))


def dump_named(value: tuple[str, Mapping[str, Any]]) -> dict[str, Any]:
    return {value[0]: dump(value[1])}


def dump_named_list(value: tuple[tuple[str, Mapping[str, Any]], ...]) -> list[Any]:
    # A list of one-key mappings, not LPOT's mapping: order survives key-sorting dumpers.
    return [dump_named(item) for item in value]


# -- op specs -------------------------------------------------------------------------
def tensor_spec(allowed: Mapping[str, tuple[str, ...]]) -> Parser:
    """``{dtype: int8, algorithm: [minmax, kl]}`` -> ``{dtype: ("int8",), ...}``."""

    def parse(value: Any, path: str) -> dict[str, tuple[str, ...]]:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise fail(path, f"a mapping with keys {', '.join(allowed)}", value)
        out = {}
        for key, given in value.items():
            if key not in allowed:
                raise unknown_key(path, key, allowed)
            if given is None:
                continue
            items = [given] if isinstance(given, str) else given
            ok = isinstance(items, list | tuple) and items and all(v in allowed[key] for v in items)
            if not ok:
                expected = f"one of {', '.join(allowed[key])} (or a list of them)"
                raise fail(join(path, key), expected, given)
            out[key] = tuple(items)
        return out

    return parse


def op_spec(allowed: Mapping[str, tuple[str, ...]]) -> Parser:
    """``{activation: {...}, weight: {...}}`` (or an OpSpec) -> a validated OpSpec."""
    tensor = tensor_spec(allowed)

    def parse(value: Any, path: str) -> OpSpec:
        if isinstance(value, OpSpec):
            value = {"activation": value.activation, "weight": value.weight}
        if value is None:
            return OpSpec()
        if not isinstance(value, Mapping):
            raise fail(path, "a mapping with keys activation, weight", value)
        for key in value:
            if key not in ("activation", "weight"):
                raise unknown_key(path, key, ("activation", "weight"))
        return OpSpec(**{k: tensor(v, join(path, k)) for k, v in value.items()})

    return parse


def op_wise(allowed: Mapping[str, tuple[str, ...]]) -> Parser:
    """``{op name or regex: op spec}``; every regex must compile."""
    spec = op_spec(allowed)

    def parse(value: Any, path: str) -> dict[str, OpSpec]:
        out = {}
        for key, item in mapping(value, path).items():
            try:
                re.compile(key)
            except re.error as exc:
                raise ConfigError(
                    f"{path}: {key!r} is not a valid op name or regular expression ({exc}); "
                    "escape special characters in a literal op name"
                ) from None
            out[key] = spec(item, f"{path}[{key!r}]")
        return out

    return parse


# -- sections ---------------------------------------------------------------------------
def field(
    parse: Parser | None = None,
    *,
    doc: str = "",
    dump: Callable[[Any], Any] | None = None,
    yaml: bool = True,
    **kwargs: Any,
) -> Any:
    """An attrs field with a parser (``None`` for a nested section, derived from its type),
    a description, an optional dumper, and ``yaml=False`` for fields that are no YAML key."""
    meta = {"parse": parse, "doc": doc, "dump": dump, "yaml": yaml}
    return attrs.field(metadata=meta, **kwargs)


def section(cls: type) -> type:
    """Make ``cls`` a frozen attrs config section whose fields validate on construction.

    Nested section classes must be defined before ``cls`` (their annotation is resolved
    now). A class may define ``_from_yaml(value, path) -> mapping`` for shorthand YAML
    forms, ``_to_yaml(self, data) -> Any`` for the reverse, and ``_check(self, path)`` for
    checks across fields.
    """
    namespace = vars(sys.modules[cls.__module__])

    def bind(_cls: type, fields: list[attrs.Attribute]) -> list[attrs.Attribute]:
        bound = []
        for a in fields:
            parse = a.metadata.get("parse") or _section_parser(a, namespace)
            where = f"{cls.__name__}.{a.name}"
            bound.append(
                a.evolve(
                    converter=functools.partial(parse, path=where),
                    metadata={**a.metadata, "parse": parse},
                )
            )
        return bound

    def post_init(self: Any) -> None:
        check = getattr(self, "_check", None)
        if check is not None:
            check(_SECTION_PATH.get() or type(self).__name__)

    cls.__attrs_post_init__ = post_init  # type: ignore[attr-defined]
    return attrs.frozen(cls, field_transformer=bind)


def _section_parser(a: attrs.Attribute, namespace: Mapping[str, Any]) -> Parser:
    # The annotation is a string (postponed evaluation) naming classes of our own module.
    hint = eval(a.type, dict(namespace)) if isinstance(a.type, str) else a.type
    args = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    classes = [t for t in args if attrs.has(t)]
    if len(classes) != 1:
        raise TypeError(f"field {a.name!r} needs a parser or a config-section type")
    nested, can_be_none = classes[0], type(None) in args
    if can_be_none:
        return lambda value, path: None if value is None else build(nested, value, path)
    return lambda value, path: build(nested, value, path)


def yaml_fields(cls: type) -> dict[str, attrs.Attribute]:
    """The fields of a section that are YAML keys, by name."""
    return {a.name: a for a in attrs.fields(cls) if a.metadata.get("yaml", True)}


def build(cls: type, value: Any, path: str) -> Any:
    """An instance of section ``cls`` from YAML data at ``path`` (``None`` = all defaults)."""
    if isinstance(value, cls):
        return value
    hook = getattr(cls, "_from_yaml", None)
    if hook is not None:
        value = hook(value, path)
    fields = yaml_fields(cls)
    if value is None:
        value = {}
    if not isinstance(value, Mapping):
        raise fail(path, f"a mapping with keys {', '.join(fields)}", value)
    kwargs = {}
    for key, item in value.items():
        if key not in fields:
            raise unknown_key(path, key, fields)
        kwargs[key] = fields[key].metadata["parse"](item, join(path, key))
    token = _SECTION_PATH.set(path)
    try:
        return cls(**kwargs)
    finally:
        _SECTION_PATH.reset(token)


def dump(value: Any) -> Any:
    """Plain YAML-able data: sections -> dicts (``None`` fields left out), tuples -> lists."""
    if attrs.has(type(value)):
        out = {}
        for a in attrs.fields(type(value)):
            item = getattr(value, a.name)
            if item is None or not a.metadata.get("yaml", True):
                continue
            dumper = a.metadata.get("dump") or dump
            out[a.name] = dumper(item)
        hook = getattr(value, "_to_yaml", None)
        return hook(out) if hook is not None else out
    if isinstance(value, Mapping):
        return {k: dump(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [dump(v) for v in value]
    return value


# -- YAML text ------------------------------------------------------------------------------
class _StrictLoader(yaml.SafeLoader):
    """A safe loader that rejects duplicate keys (PyYAML silently keeps the last one)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> Any:
        seen: set[Any] = set()
        keys = [k for k, _ in node.value]
        if not any(getattr(k, "value", None) == "<<" for k in keys):  # merges may override
            for key_node in keys:
                key = self.construct_object(key_node, deep=deep)
                if not isinstance(key, Hashable):
                    continue  # PyYAML itself reports unhashable keys
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key {key!r}", key_node.start_mark
                    )
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


def parse_yaml(text: str, source: str) -> Any:
    """YAML text -> data; errors say ``source:line:column`` and what is wrong."""
    try:
        return yaml.load(text, Loader=_StrictLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
        raise ConfigError(f"{where}: invalid YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: invalid YAML: {exc}") from None
