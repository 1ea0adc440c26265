"""Op capabilities, per-op quantization choices, and the tuning space built from them.

An adaptor describes each quantizable op with an :class:`OpCapability` (the values
it allows per tensor, preferred value first). :class:`TuningSpace` intersects those
with the user's ``model_wise`` and ``op_wise`` settings and expands each op into
concrete :class:`OpChoice` values; a :class:`TuneConfig` picks one choice per op.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from itertools import product
from typing import Any

import attrs

log = logging.getLogger(__name__)

DTYPES = ("int8", "uint8", "fp32", "bf16", "fp16")
SCHEMES = ("sym", "asym")
GRANULARITIES = ("per_tensor", "per_channel")
ALGORITHMS = ("minmax", "kl", "percentile")
TENSOR_FIELDS = ("dtype", "scheme", "granularity", "algorithm")
FLOAT_DTYPES = ("fp32", "bf16", "fp16")


@attrs.frozen
class TensorChoice:
    """One concrete way to represent a tensor: ``int8/sym/per_channel/minmax`` or ``fp32``."""

    dtype: str
    scheme: str = "sym"
    granularity: str = "per_tensor"
    algorithm: str = "minmax"

    def __str__(self) -> str:
        if self.dtype in FLOAT_DTYPES:
            return self.dtype
        return f"{self.dtype}/{self.scheme}/{self.granularity}/{self.algorithm}"

    @classmethod
    def parse(cls, text: str) -> TensorChoice:
        """Inverse of ``str()``."""
        parts = text.split("/")
        return cls(parts[0]) if len(parts) == 1 else cls(*parts)


@attrs.frozen
class TensorOptions:
    """What an op allows for one tensor. Each field lists values, preferred first."""

    dtype: tuple[str, ...] = ("int8",)
    scheme: tuple[str, ...] = ("sym",)
    granularity: tuple[str, ...] = ("per_tensor",)
    algorithm: tuple[str, ...] = ("minmax",)

    def narrowed(self, spec: Mapping[str, Sequence[str] | None], where: str) -> TensorOptions:
        """Keep only values the user's spec allows, in the user's order of preference.

        A field whose intersection is empty keeps the op's own values (with a warning):
        the backend cannot do what was asked, and silently quantizing nothing is worse.
        """
        fields: dict[str, tuple[str, ...]] = {}
        for name in TENSOR_FIELDS:
            own = getattr(self, name)
            wanted = spec.get(name)
            if not wanted:
                fields[name] = own
                continue
            if name == "dtype":  # fp32 is the fallback, not a quantized dtype
                wanted = [w for w in wanted if w not in FLOAT_DTYPES]
                if not wanted:
                    fields[name] = ()
                    continue
            kept = tuple(w for w in wanted if w in own)
            if not kept:
                log.warning(
                    "%s: %s %s not supported (supports %s); keeping %s",
                    where,
                    name,
                    list(wanted),
                    list(own),
                    list(own),
                )
                kept = own
            fields[name] = kept
        return TensorOptions(**fields)

    def choices(self) -> list[TensorChoice]:
        """Every quantized combination, preferred first (float dtypes excluded)."""
        quantized = [d for d in self.dtype if d not in FLOAT_DTYPES]
        return [
            TensorChoice(*combo)
            for combo in product(quantized, self.scheme, self.granularity, self.algorithm)
        ]


@attrs.frozen
class OpCapability:
    """A quantizable op as the adaptor reports it.

    ``prefer_fp32`` marks an op the backend can quantize but runs slower in INT8 than in
    FP32 (a kernel known to be slow for its shape): the default config keeps it FP32, and
    strategies may still try it quantized.
    """

    name: str
    type: str
    activation: TensorOptions = TensorOptions(dtype=("uint8", "int8"), scheme=("asym", "sym"))
    weight: TensorOptions | None = None
    prefer_fp32: bool = False


@attrs.frozen
class OpChoice:
    """The concrete setting of one op: quantized activation (+ weight), or FP32."""

    activation: TensorChoice
    weight: TensorChoice | None = None
    # Derived once: configs of hundreds of ops are hashed and written every trial.
    is_fp32: bool = attrs.field(init=False, eq=False, repr=False)
    _text: str = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        fp32 = self.activation.dtype in FLOAT_DTYPES
        text = str(self.activation)
        if not fp32 and self.weight is not None:
            text = f"{text}|w={self.weight}"
        object.__setattr__(self, "is_fp32", fp32)
        object.__setattr__(self, "_text", text)

    def __str__(self) -> str:
        return self._text

    @classmethod
    def parse(cls, text: str) -> OpChoice:
        """Inverse of ``str()``."""
        act, _, weight = text.partition("|w=")
        return cls(TensorChoice.parse(act), TensorChoice.parse(weight) if weight else None)


FP32 = OpChoice(TensorChoice("fp32"))


class TuneConfig:
    """One point of the tuning space: a choice per op plus the calibration sampling size.

    Immutable; ``with_ops`` returns a new config. ``key`` identifies it in the history.
    """

    __slots__ = ("_key", "approach", "ops", "sampling_size")

    def __init__(self, ops: Mapping[str, OpChoice], sampling_size: int, approach: str) -> None:
        self.ops: Mapping[str, OpChoice] = dict(ops)
        self.sampling_size = sampling_size
        self.approach = approach
        self._key: str | None = None

    def with_ops(
        self, changes: Mapping[str, OpChoice], sampling_size: int | None = None
    ) -> TuneConfig:
        ops = dict(self.ops)
        ops.update(changes)
        return TuneConfig(ops, sampling_size or self.sampling_size, self.approach)

    def fallback(self, names: Iterable[str]) -> TuneConfig:
        """This config with the named ops in FP32."""
        return self.with_ops({n: FP32 for n in names})

    @property
    def fp32_ops(self) -> list[str]:
        return [n for n, c in self.ops.items() if c.is_fp32]

    @property
    def quantized_ops(self) -> list[str]:
        return [n for n, c in self.ops.items() if not c.is_fp32]

    def to_dict(self) -> dict[str, Any]:
        return {
            "approach": self.approach,
            "sampling_size": self.sampling_size,
            "ops": {n: str(c) for n, c in sorted(self.ops.items())},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TuneConfig:
        ops = {n: OpChoice.parse(c) for n, c in data["ops"].items()}
        return cls(ops, int(data["sampling_size"]), data["approach"])

    @property
    def key(self) -> str:
        """A short stable digest: equal keys mean equal configs."""
        if self._key is None:
            text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
            self._key = hashlib.sha1(text.encode()).hexdigest()[:16]
        return self._key

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TuneConfig) and self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __repr__(self) -> str:
        fp32 = self.fp32_ops
        return (
            f"TuneConfig({len(self.ops) - len(fp32)} quantized, fp32={fp32[:5]}"
            f"{'...' if len(fp32) > 5 else ''}, sampling_size={self.sampling_size})"
        )


@attrs.frozen
class OpSpec:
    """The user's restriction for ops (``model_wise`` or one ``op_wise`` entry)."""

    activation: Mapping[str, Sequence[str] | None] = attrs.field(factory=dict)
    weight: Mapping[str, Sequence[str] | None] = attrs.field(factory=dict)

    @property
    def forces_fp32(self) -> bool:
        dtypes = self.activation.get("dtype") or ()
        return bool(dtypes) and all(d in FLOAT_DTYPES for d in dtypes)

    @property
    def allows_fp32(self) -> bool:
        dtypes = self.activation.get("dtype")
        return not dtypes or any(d in FLOAT_DTYPES for d in dtypes)


class TuningSpace:
    """Every op's allowed choices, preferred first; FP32 (fallback) last where allowed,
    or first for an op whose capability says ``prefer_fp32``."""

    def __init__(
        self,
        capabilities: Sequence[OpCapability],
        *,
        sampling_sizes: Sequence[int] = (100,),
        approach: str = "static",
        model_wise: OpSpec | None = None,
        op_wise: Mapping[str, OpSpec] | None = None,
    ) -> None:
        self.ops: dict[str, OpCapability] = {c.name: c for c in capabilities}
        self.sampling_sizes = list(sampling_sizes)
        self.approach = approach
        model_wise = model_wise or OpSpec()
        per_op = _match_op_wise(self.ops, op_wise or {})
        self.choices: dict[str, list[OpChoice]] = {
            name: _expand(cap, model_wise, per_op.get(name)) for name, cap in self.ops.items()
        }

    # -- shape of the space -------------------------------------------------
    @property
    def tunable_ops(self) -> list[str]:
        """Ops with more than one choice, in graph order."""
        return [n for n, c in self.choices.items() if len(c) > 1]

    def op_types(self) -> dict[str, list[str]]:
        """Tunable op names grouped by op type, in graph order."""
        groups: dict[str, list[str]] = {}
        for name in self.tunable_ops:
            if FP32 in self.choices[name]:
                groups.setdefault(self.ops[name].type, []).append(name)
        return groups

    def quantizable(self) -> bool:
        """True if any op has a quantized choice (model_wise/op_wise may leave none)."""
        return any(not c.is_fp32 for cs in self.choices.values() for c in cs)

    def can_fallback(self, name: str) -> bool:
        return FP32 in self.choices[name]

    def size(self) -> int:
        """Number of distinct configs (may be astronomically large)."""
        total = len(self.sampling_sizes)
        for c in self.choices.values():
            total *= len(c)
        return total

    def algorithms(self) -> set[str]:
        """Calibration algorithms any activation choice uses: what calibration must collect."""
        return {c.activation.algorithm for cs in self.choices.values() for c in cs if not c.is_fp32}

    # -- configs --------------------------------------------------------------
    def default(self, sampling_size: int | None = None) -> TuneConfig:
        """Every op at its preferred choice."""
        ops = {name: choices[0] for name, choices in self.choices.items()}
        return TuneConfig(ops, sampling_size or self.sampling_sizes[0], self.approach)

    def model_wise_variants(self, base: TuneConfig) -> list[TuneConfig]:
        """``base`` changed in one knob at a time, model-wide, where each op allows it.

        Knobs are (tensor, field) pairs such as (activation, algorithm); each
        alternative value yields one config. Sampling sizes come last.
        """
        variants: list[TuneConfig] = []
        for tensor, field in product(("activation", "weight"), TENSOR_FIELDS):
            values: list[str] = []
            for name in self.tunable_ops:
                for choice in self.choices[name]:
                    t = getattr(choice, tensor)
                    if t is not None and not choice.is_fp32:
                        v = getattr(t, field)
                        if v not in values:
                            values.append(v)
            for value in values[1:] if len(values) > 1 else []:
                changes = {}
                for name in self.tunable_ops:
                    current = base.ops[name]
                    if current.is_fp32 or getattr(current, tensor) is None:
                        continue  # FP32, or an op without this tensor (no weight)
                    wanted = _replace(current, tensor, field, value)
                    if wanted in self.choices[name]:
                        changes[name] = wanted
                if changes:
                    cfg = base.with_ops(changes)
                    if cfg != base and cfg not in variants:
                        variants.append(cfg)
        for size in self.sampling_sizes:
            if size != base.sampling_size:
                variants.append(base.with_ops({}, sampling_size=size))
        return variants

    def validate(self, cfg: TuneConfig) -> None:
        """Raise ValueError if ``cfg`` picks a choice the space does not hold."""
        for name, choice in cfg.ops.items():
            if name not in self.choices or choice not in self.choices[name]:
                raise ValueError(f"op {name!r}: {choice} is not in the tuning space")


def _replace(choice: OpChoice, tensor: str, field: str, value: str) -> OpChoice:
    t = getattr(choice, tensor)
    return attrs.evolve(choice, **{tensor: attrs.evolve(t, **{field: value})})


def _expand(cap: OpCapability, model_wise: OpSpec, op_spec: OpSpec | None) -> list[OpChoice]:
    """All concrete choices for one op, preferred first; FP32 last if allowed (first if the
    backend prefers the op in FP32)."""
    if op_spec is not None and op_spec.forces_fp32:
        return [FP32]
    act = cap.activation.narrowed(model_wise.activation, cap.name)
    weight = cap.weight.narrowed(model_wise.weight, cap.name) if cap.weight else None
    if op_spec is not None:
        act = act.narrowed(op_spec.activation, cap.name)
        weight = weight.narrowed(op_spec.weight, cap.name) if weight else None
    acts = act.choices()
    weights: list[TensorChoice | None] = weight.choices() if weight else [None]
    choices = [OpChoice(a, w) for a, w in product(acts, weights)] if weights else []
    if not choices or op_spec is None or op_spec.allows_fp32:
        choices.insert(0 if cap.prefer_fp32 else len(choices), FP32)
    return choices


def _match_op_wise(
    ops: Mapping[str, OpCapability], op_wise: Mapping[str, OpSpec]
) -> dict[str, OpSpec]:
    """Map op names to their op_wise spec: an exact name wins over a regex match."""
    matched: dict[str, OpSpec] = {}
    for pattern, spec in op_wise.items():
        if pattern in ops:
            matched[pattern] = spec
            continue
        regex = re.compile(pattern)
        hits = [name for name in ops if regex.fullmatch(name)]
        if not hits:
            import difflib

            near = difflib.get_close_matches(pattern, list(ops), n=3)
            log.warning(
                "op_wise %r matches no op of the model%s",
                pattern,
                f" (did you mean {', '.join(near)}?)" if near else "",
            )
        for name in hits:
            matched.setdefault(name, spec)
    for pattern in op_wise:  # exact names override regexes in any order
        if pattern in ops:
            matched[pattern] = op_wise[pattern]
    return matched
