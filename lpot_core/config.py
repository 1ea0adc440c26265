"""The LPOT 1.x YAML schema as frozen attrs classes, with validation and YAML loading.

Load with :func:`load_config` (a ``.yaml`` path, YAML text, a mapping, or ``None`` for
all defaults) or build in Python (``Config(tuning=TuningConfig(...))``); both validate,
and errors name the field by its dotted path, e.g.
``tuning.accuracy_criterion: unknown key 'relativ' (did you mean 'relative'?)``.
The user's YAML file is only ever read. Validation machinery: :mod:`lpot_core.config_schema`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from lpot_core import config_schema as s
from lpot_core.errors import ConfigError
from lpot_core.space import ALGORITHMS, DTYPES, GRANULARITIES, SCHEMES, OpSpec

log = logging.getLogger(__name__)

APPROACHES = {
    "post_training_static_quant": ("static",),
    "post_training_dynamic_quant": ("dynamic",),
    "post_training_auto_quant": ("static", "dynamic"),
}
LAST_BATCH = ("keep", "rollover", "discard")
OBJECTIVES = ("performance", "modelsize", "footprint")
DEVICES = ("cpu",)
TENSOR_VALUES = {
    "dtype": DTYPES,
    "scheme": SCHEMES,
    "granularity": GRANULARITIES,
    "algorithm": ALGORITHMS,
}


def _anything(value: Any, path: str) -> Any:
    return value


def _path(value: Any, path: str) -> str:
    return s.text(os.fspath(value) if isinstance(value, os.PathLike) else value, path)


def _dataset(value: Any, path: str) -> tuple[str, dict[str, Any]]:
    return s.named(value, path, "dataset")


# -- model ----------------------------------------------------------------------------
@s.section
class ModelConfig:
    """What to quantize; ``options`` go to the backend (e.g. ``{reduce_range: true}``)."""

    name: str = s.field(s.text, default="model", doc="names the outputs in the workspace")
    framework: str | None = s.field(
        s.optional(s.text), default=None, doc="backend name, e.g. onnxrt_qlinearops; None = detect"
    )
    path: str | None = s.field(s.optional(_path), default=None, doc="model file or folder")
    inputs: tuple[str, ...] | None = s.field(s.optional(s.names), default=None)
    outputs: tuple[str, ...] | None = s.field(s.optional(s.names), default=None)
    options: Mapping[str, Any] = s.field(s.mapping, factory=dict, doc="backend options")


# -- data -----------------------------------------------------------------------------
@s.section
class DataLoaderConfig:
    """A dataloader built from registered datasets and transforms."""

    batch_size: int = s.field(s.integer(1), default=1)
    last_batch: str = s.field(s.choice(*LAST_BATCH), default="keep")
    shuffle: bool = s.field(s.boolean, default=False)
    dataset: tuple[str, Mapping[str, Any]] | None = s.field(
        s.optional(_dataset),
        default=None,
        dump=s.dump_named,
        doc="YAML {ImageFolder: {root: ...}} -> ('ImageFolder', {'root': ...})",
    )
    transform: tuple[tuple[str, Mapping[str, Any]], ...] = s.field(
        s.named_list, default=(), dump=s.dump_named_list, doc="applied in order"
    )


# -- quantization -----------------------------------------------------------------------
@s.section
class CalibrationConfig:
    """How many samples calibrate; several sizes make a tuning dimension."""

    sampling_size: tuple[int, ...] = s.field(s.positive_ints, default=(100,))
    dataloader: DataLoaderConfig | None = s.field(default=None)


@s.section
class QuantizationConfig:
    """The approach and the user's restrictions on every op (``model_wise``) or some
    (``op_wise``: keys are op names or regular expressions)."""

    approach: str = s.field(s.choice(*APPROACHES), default="post_training_static_quant")
    calibration: CalibrationConfig = s.field(factory=CalibrationConfig)
    model_wise: OpSpec = s.field(s.op_spec(TENSOR_VALUES), factory=OpSpec)
    op_wise: Mapping[str, OpSpec] = s.field(s.op_wise(TENSOR_VALUES), factory=dict)

    @property
    def approaches(self) -> tuple[str, ...]:
        """``("static",)``, ``("dynamic",)`` or both, in that order."""
        return APPROACHES[self.approach]


# -- evaluation -------------------------------------------------------------------------
@s.section
class MetricConfig:
    """A registered metric and its parameters; YAML ``{topk: 1}``, ``{Accuracy: {}}`` or
    ``topk``."""

    name: str = s.field(s.text)
    params: Any = s.field(_anything, default=None)

    @classmethod
    def _from_yaml(cls, value: Any, path: str) -> Any:
        if isinstance(value, str):
            return {"name": value}
        if isinstance(value, Mapping) and "name" in value and set(value) <= {"name", "params"}:
            return value  # the Python-ish form
        if isinstance(value, Mapping) and len(value) == 1:
            ((name, params),) = value.items()
            return {"name": name, "params": params}
        if isinstance(value, Mapping):
            raise ConfigError(
                f"{path}: expected exactly one metric like {{topk: 1}}, got "
                f"{len(value)} keys ({', '.join(map(str, value))})"
            )
        raise s.fail(path, "a metric name or a one-key mapping like {topk: 1}", value)

    def _to_yaml(self, data: dict[str, Any]) -> Any:
        return self.name if self.params is None else {self.name: data["params"]}


@s.section
class AccuracyConfig:
    """How to score a model when the user gives no ``eval_func``."""

    metric: MetricConfig | None = s.field(default=None)
    dataloader: DataLoaderConfig | None = s.field(default=None)


@s.section
class _InstanceConfigs:
    """LPOT's ``performance.configs``; lpot runs one instance with ``threads`` threads."""

    cores_per_instance: int | None = s.field(s.optional(s.integer(1)), default=None)
    num_of_instance: int | None = s.field(s.optional(s.integer(1)), default=None)
    inter_num_of_threads: int | None = s.field(s.optional(s.integer(1)), default=None)
    intra_num_of_threads: int | None = s.field(s.optional(s.integer(1)), default=None)


@s.section
class PerformanceConfig:
    """Latency measurement; ``threads`` = LPOT's intra_num_of_threads (or cores_per_instance)."""

    warmup: int = s.field(s.integer(0), default=5)
    iteration: int = s.field(s.integer(1), default=100)
    threads: int | None = s.field(s.optional(s.integer(1)), default=None)
    dataloader: DataLoaderConfig | None = s.field(default=None)

    @classmethod
    def _from_yaml(cls, value: Any, path: str) -> Any:
        if not isinstance(value, Mapping) or "configs" not in value:
            return value
        value = dict(value)
        inst = s.build(_InstanceConfigs, value.pop("configs"), s.join(path, "configs"))
        threads = inst.intra_num_of_threads or inst.cores_per_instance
        if (inst.num_of_instance or 1) > 1 or inst.inter_num_of_threads:
            log.warning(
                "%s.configs: lpot measures one instance; num_of_instance and "
                "inter_num_of_threads are ignored",
                path,
            )
        if threads is not None and value.get("threads") not in (None, threads):
            raise ConfigError(
                f"{path}: threads={value['threads']!r} contradicts configs "
                f"({threads} threads); give only one of them"
            )
        if threads is not None:
            value["threads"] = threads
        return value


@s.section
class EvaluationConfig:
    """Accuracy (optional: an ``eval_func`` may replace it) and performance settings."""

    accuracy: AccuracyConfig | None = s.field(default=None)
    performance: PerformanceConfig = s.field(factory=PerformanceConfig)


# -- tuning -----------------------------------------------------------------------------
@s.section
class StrategyConfig:
    """A registered strategy; YAML keys besides ``name`` become ``params``."""

    name: str = s.field(s.text, default="basic")
    params: Mapping[str, Any] = s.field(s.mapping, factory=dict)

    @classmethod
    def _from_yaml(cls, value: Any, path: str) -> Any:
        if isinstance(value, str):
            return {"name": value}
        if not isinstance(value, Mapping):
            return value  # build() reports the wrong type
        extra = {k: v for k, v in value.items() if k not in ("name", "params")}
        if "name" not in value:  # `nmae: tpe` would otherwise become a param silently
            for key in extra:
                if s.suggest(key, ["name"]):
                    raise s.unknown_key(path, key, ["name"])
        params = s.mapping(value.get("params"), s.join(path, "params"))
        out: dict[str, Any] = {"params": {**params, **extra}}
        if "name" in value:
            out["name"] = value["name"]
        return out

    def _to_yaml(self, data: dict[str, Any]) -> Any:
        return {"name": self.name, **data["params"]}


def _default_relative(self: Any) -> float | None:
    return None if self.absolute is not None else 0.01


@s.section
class AccuracyCriterion:
    """The accuracy goal: at most ``relative`` (fraction of the baseline) or ``absolute``
    loss; ``higher_is_better=None`` takes the direction from the metric. Keyword-only:
    ``AccuracyCriterion(absolute=0.5)`` leaves ``relative`` None."""

    absolute: float | None = s.field(s.optional(s.number(0)), default=None, kw_only=True)
    relative: float | None = s.field(
        s.optional(s.number(0, below=1)),
        kw_only=True,
        default=attrs.Factory(_default_relative, takes_self=True),
    )
    higher_is_better: bool | None = s.field(s.optional(s.boolean), default=None, kw_only=True)

    def _check(self, path: str) -> None:
        if self.relative is not None and self.absolute is not None:
            raise ConfigError(
                f"{path}: expected only one of 'relative' and 'absolute', got "
                f"both (relative={self.relative}, absolute={self.absolute})"
            )
        if self.relative is None and self.absolute is None:
            raise ConfigError(f"{path}: expected one of 'relative' or 'absolute', got neither")


@s.section
class ExitPolicy:
    """When to stop: ``timeout`` seconds (0 = at the first config meeting the goal),
    ``max_trials`` trials, or when the space runs out."""

    timeout: float = s.field(s.number(0), default=0.0)
    max_trials: int = s.field(s.integer(1), default=100)


@s.section
class WorkspaceConfig:
    """Where outputs and the history go; ``resume`` names an earlier history file."""

    path: str = s.field(_path, default="./lpot_workspace")
    resume: str | None = s.field(s.optional(_path), default=None)


@s.section
class TuningConfig:
    """How to search the tuning space."""

    strategy: StrategyConfig = s.field(factory=StrategyConfig)
    accuracy_criterion: AccuracyCriterion = s.field(factory=AccuracyCriterion)
    objective: str = s.field(s.choice(*OBJECTIVES), default="performance")
    exit_policy: ExitPolicy = s.field(factory=ExitPolicy)
    random_seed: int = s.field(s.integer(0), default=1978)
    workspace: WorkspaceConfig = s.field(factory=WorkspaceConfig)


# -- the whole config ---------------------------------------------------------------------
@s.section
class Config:
    """A whole lpot config (LPOT 1.x YAML schema). ``source`` is the file it came from."""

    model: ModelConfig = s.field(factory=ModelConfig)
    device: str = s.field(s.choice(*DEVICES), default="cpu")
    quantization: QuantizationConfig = s.field(factory=QuantizationConfig)
    evaluation: EvaluationConfig = s.field(factory=EvaluationConfig)
    tuning: TuningConfig = s.field(factory=TuningConfig)
    source: str | None = s.field(s.optional(_path), default=None, eq=False, yaml=False)

    @classmethod
    def _from_yaml(cls, value: Any, path: str) -> Any:
        # LPOT 1.x files start with `version: 1.0`; accept it, store nothing.
        if isinstance(value, Mapping) and "version" in value:
            if value["version"] not in (1, 1.0, "1", "1.0"):
                raise s.fail("version", "1.0 (the LPOT 1.x schema)", value["version"])
            value = {k: v for k, v in value.items() if k != "version"}
        return value

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None, source: str | None = None) -> Config:
        """Validate ``data`` (a YAML mapping; ``None`` = defaults). Errors name ``source``."""
        try:
            config = s.build(cls, data, "")
        except ConfigError as exc:
            if source:
                raise ConfigError(f"{source}: {exc}") from None
            raise
        return attrs.evolve(config, source=source) if source else config

    @classmethod
    def from_yaml(cls, text: str, source: str | None = None) -> Config:
        """Parse YAML text; syntax errors name ``source`` (or ``<string>``) and the line."""
        return cls.from_dict(s.parse_yaml(text, source or "<string>"), source)

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> Config:
        """Read a YAML file (never written back)."""
        file = Path(path)
        try:
            content = file.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError(
                f"config file {str(file)!r} not found (working directory "
                f"{os.getcwd()}); check the path"
            ) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read config file {str(file)!r}: {exc}") from None
        return cls.from_yaml(content, str(file))

    def to_dict(self) -> dict[str, Any]:
        """Plain YAML-able data; ``Config.from_dict(cfg.to_dict()) == cfg``."""
        return s.dump(self)

    def outcome_dict(self) -> dict[str, Any]:
        """The fields that change a tuning outcome (for the history fingerprint): not the
        exit policy, workspace, performance settings or the model's name and path."""
        data = self.to_dict()
        tuning = data["tuning"]
        return {
            "model": {"framework": self.model.framework, "options": data["model"]["options"]},
            "quantization": data["quantization"],
            "evaluation": {"accuracy": data["evaluation"].get("accuracy")},
            "tuning": {
                k: tuning[k] for k in ("strategy", "accuracy_criterion", "objective", "random_seed")
            },
        }

    def replace(self, **dotted: Any) -> Config:
        """A validated copy with fields set by dotted YAML path, e.g.
        ``cfg.replace(**{"tuning.exit_policy.max_trials": 5})``. Values are YAML data or
        config objects (the CLI parses ``key=value`` strings with YAML first)."""
        data = self.to_dict()
        for key, value in dotted.items():
            *parents, leaf = key.split(".")
            node = data
            for i, part in enumerate(parents):
                child = node.get(part)
                if child is None:
                    child = node[part] = {}
                if not isinstance(child, dict):
                    where = ".".join(parents[: i + 1])
                    raise ConfigError(f"cannot set {key!r}: {where} is not a section")
                node = child
            for group in _EXCLUSIVE.get(".".join(parents), ()):
                if leaf in group:  # setting one of relative/absolute clears the other
                    for other in group:
                        node.pop(other, None)
            node[leaf] = value
        config = s.build(Config, data, "")
        return attrs.evolve(config, source=self.source) if self.source else config


_EXCLUSIVE = {"tuning.accuracy_criterion": [("relative", "absolute")]}


def load_config(source: str | os.PathLike[str] | Mapping[str, Any] | Config | None) -> Config:
    """A validated :class:`Config` from a ``.yaml`` path, YAML text, a mapping, an existing
    Config (returned as is), or ``None`` (all defaults)."""
    if source is None:
        return Config()
    if isinstance(source, Config):
        return source
    if isinstance(source, Mapping):
        return Config.from_dict(source)
    if isinstance(source, str) and _looks_like_yaml(source):
        return Config.from_yaml(source)
    if isinstance(source, str | os.PathLike):
        return Config.from_file(source)
    raise ConfigError(
        f"expected a path to a YAML file, YAML text, a mapping or a Config, "
        f"got {type(source).__name__}"
    )


def _looks_like_yaml(text: str) -> bool:
    if "\n" in text:
        return True
    if text.endswith((".yaml", ".yml")) or os.path.exists(text):
        return False
    return ":" in text or text.strip() in ("", "{}")
