"""The LPOT 1.x YAML schema: loading, defaults, round trips, overrides and error messages."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

from lpot_core.config import (
    AccuracyConfig,
    AccuracyCriterion,
    CalibrationConfig,
    Config,
    DataLoaderConfig,
    ExitPolicy,
    MetricConfig,
    ModelConfig,
    QuantizationConfig,
    StrategyConfig,
    TuningConfig,
    load_config,
)
from lpot_core.errors import ConfigError
from lpot_core.space import OpSpec

# In the style of LPOT 1.x's examples/*/resnet50_v1.yaml.
RESNET50_YAML = textwrap.dedent("""\
    version: 1.0

    model:                                  # the model to quantize
      name: resnet50_v1
      framework: onnxrt_qlinearops
      inputs: input
      outputs: [output]
      options: {reduce_range: true, threads: 2}

    quantization:
      approach: post_training_static_quant
      calibration:
        sampling_size: 50, 100              # LPOT's comma-separated form
        dataloader:
          batch_size: 10
          dataset:
            ImageFolder:
              root: /path/to/calibration/dataset
          transform:
            Resize: {size: 256}
            CenterCrop: {size: 224}
            Normalize: {mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225]}
      model_wise:
        weight: {granularity: per_channel, scheme: sym, dtype: int8, algorithm: minmax}
        activation: {algorithm: [minmax, kl]}
      op_wise: {
        'conv1': {activation: {dtype: [fp32]}},
        'fc.*': {weight: {granularity: per_tensor}}
      }

    evaluation:
      accuracy:
        metric:
          topk: 1
        dataloader:
          batch_size: 32
          last_batch: discard
          dataset:
            ImageFolder:
              root: /path/to/evaluation/dataset
          transform:
            Resize: {size: 256}
            CenterCrop: {size: 224}
      performance:
        warmup: 10
        iteration: 50
        configs:
          cores_per_instance: 2
          num_of_instance: 1
        dataloader:
          batch_size: 1
          dataset:
            dummy: {shape: [1, 3, 224, 224]}

    tuning:
      strategy:
        name: basic
      accuracy_criterion:
        relative: 0.01
        higher_is_better: true
      objective: performance
      exit_policy:
        timeout: 0
        max_trials: 50
      random_seed: 9527
      workspace:
        path: ./nc_workspace
    """)


@pytest.fixture
def resnet_file(tmp_path: Path) -> Path:
    path = tmp_path / "resnet50_v1.yaml"
    path.write_text(RESNET50_YAML)
    return path


def test_full_lpot_yaml_loads_into_the_right_values(resnet_file: Path) -> None:
    cfg = load_config(resnet_file)
    assert cfg.source == str(resnet_file)
    assert cfg.model == ModelConfig(
        name="resnet50_v1",
        framework="onnxrt_qlinearops",
        inputs=("input",),
        outputs=("output",),
        options={"reduce_range": True, "threads": 2},
    )
    q = cfg.quantization
    assert q.approaches == ("static",)
    assert q.calibration.sampling_size == (50, 100)
    loader = q.calibration.dataloader
    assert loader.batch_size == 10 and loader.last_batch == "keep" and not loader.shuffle
    assert loader.dataset == ("ImageFolder", {"root": "/path/to/calibration/dataset"})
    assert [name for name, _ in loader.transform] == ["Resize", "CenterCrop", "Normalize"]
    assert loader.transform[0] == ("Resize", {"size": 256})
    assert q.model_wise.weight == {
        "granularity": ("per_channel",),
        "scheme": ("sym",),
        "dtype": ("int8",),
        "algorithm": ("minmax",),
    }
    assert q.model_wise.activation == {"algorithm": ("minmax", "kl")}
    assert list(q.op_wise) == ["conv1", "fc.*"]
    assert q.op_wise["conv1"].forces_fp32
    assert q.op_wise["fc.*"] == OpSpec(weight={"granularity": ("per_tensor",)})

    acc = cfg.evaluation.accuracy
    assert acc.metric == MetricConfig("topk", 1)
    assert acc.dataloader.batch_size == 32 and acc.dataloader.last_batch == "discard"
    perf = cfg.evaluation.performance
    assert (perf.warmup, perf.iteration, perf.threads) == (10, 50, 2)
    assert perf.dataloader.dataset == ("dummy", {"shape": [1, 3, 224, 224]})

    t = cfg.tuning
    assert t.strategy == StrategyConfig("basic", {})
    assert t.accuracy_criterion == AccuracyCriterion(relative=0.01, higher_is_better=True)
    assert t.accuracy_criterion.absolute is None
    assert t.objective == "performance"
    assert t.exit_policy == ExitPolicy(timeout=0, max_trials=50)
    assert t.random_seed == 9527
    assert t.workspace.path == "./nc_workspace" and t.workspace.resume is None


def test_the_users_file_is_never_rewritten(resnet_file: Path) -> None:
    before = resnet_file.read_bytes()
    cfg = load_config(str(resnet_file))
    cfg.replace(**{"tuning.exit_policy.max_trials": 3}).to_dict()
    assert resnet_file.read_bytes() == before


def test_defaults_from_none_empty_document_and_empty_sections() -> None:
    cfg = load_config(None)
    assert cfg == Config() == load_config("") == load_config({})
    assert Config.from_yaml("# only a comment\n") == cfg
    assert Config.from_yaml("tuning:\nquantization:\n") == cfg  # empty sections = defaults
    assert cfg.device == "cpu" and cfg.model.name == "model" and cfg.model.framework is None
    assert cfg.quantization.approach == "post_training_static_quant"
    assert cfg.quantization.calibration.sampling_size == (100,)
    assert cfg.quantization.model_wise == OpSpec() and cfg.quantization.op_wise == {}
    assert cfg.evaluation.accuracy is None
    assert (cfg.evaluation.performance.warmup, cfg.evaluation.performance.iteration) == (5, 100)
    assert cfg.tuning.strategy.name == "basic"
    assert cfg.tuning.accuracy_criterion.relative == 0.01
    assert cfg.tuning.accuracy_criterion.absolute is None
    assert cfg.tuning.exit_policy == ExitPolicy(timeout=0.0, max_trials=100)
    assert cfg.tuning.random_seed == 1978
    assert cfg.tuning.workspace.path == "./lpot_workspace"


def test_round_trip_through_dict_and_yaml(resnet_file: Path) -> None:
    cfg = load_config(resnet_file)
    data = cfg.to_dict()
    assert "source" not in data
    assert Config.from_dict(data) == cfg
    text = yaml.safe_dump(data)  # plain data only; sorted keys must not reorder transforms
    again = Config.from_yaml(text)
    assert again == cfg
    assert [n for n, _ in again.quantization.calibration.dataloader.transform] == [
        "Resize",
        "CenterCrop",
        "Normalize",
    ]
    assert data["evaluation"]["accuracy"]["metric"] == {"topk": 1}
    assert data["quantization"]["calibration"]["dataloader"]["transform"][0] == {
        "Resize": {"size": 256}
    }


def test_shorthand_forms() -> None:
    cfg = load_config(
        textwrap.dedent("""\
        quantization:
          approach: post_training_auto_quant
          calibration:
            sampling_size: [10, 20]
            dataloader:
              dataset: dummy
              transform: [{Resize: {size: 8}}, {Resize: {size: 4}}]
        evaluation: {accuracy: {metric: Accuracy}}
        tuning:
          strategy: tpe
          accuracy_criterion: {absolute: 0.02}
        """)
    )
    assert cfg.quantization.approaches == ("static", "dynamic")
    assert cfg.quantization.calibration.sampling_size == (10, 20)
    loader = cfg.quantization.calibration.dataloader
    assert loader.dataset == ("dummy", {})
    assert loader.transform == (("Resize", {"size": 8}), ("Resize", {"size": 4}))
    assert cfg.evaluation.accuracy.metric == MetricConfig("Accuracy")
    assert cfg.tuning.strategy == StrategyConfig("tpe")
    crit = cfg.tuning.accuracy_criterion
    assert (crit.relative, crit.absolute) == (None, 0.02)
    assert Config.from_dict(cfg.to_dict()) == cfg  # repeated transform names survive


def test_strategy_extra_keys_become_params_and_round_trip() -> None:
    cfg = Config.from_dict(
        {"tuning": {"strategy": {"name": "tpe", "max_evals": 30, "warm_start": True}}}
    )
    assert cfg.tuning.strategy == StrategyConfig("tpe", {"max_evals": 30, "warm_start": True})
    assert cfg.to_dict()["tuning"]["strategy"] == {
        "name": "tpe",
        "max_evals": 30,
        "warm_start": True,
    }
    assert Config.from_dict(cfg.to_dict()) == cfg


def test_python_construction_validates_and_normalizes() -> None:
    cfg = Config(
        model=ModelConfig(framework="pytorch", inputs="x"),
        quantization=QuantizationConfig(
            calibration=CalibrationConfig(
                sampling_size=300, dataloader=DataLoaderConfig(batch_size=4)
            ),
            model_wise={"activation": {"algorithm": "kl"}},
            op_wise={"fc.*": OpSpec(activation={"dtype": ["fp32"]})},
        ),
        evaluation={"accuracy": AccuracyConfig(metric=MetricConfig("topk", 5))},
        tuning=TuningConfig(accuracy_criterion=AccuracyCriterion(absolute=0.5)),
    )
    assert cfg.model.inputs == ("x",)
    assert cfg.quantization.calibration.sampling_size == (300,)
    assert cfg.quantization.model_wise.activation == {"algorithm": ("kl",)}
    assert cfg.quantization.op_wise["fc.*"].activation == {"dtype": ("fp32",)}
    assert cfg.tuning.accuracy_criterion.relative is None
    assert Config.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(ConfigError, match=r"ExitPolicy\.max_trials: expected an integer >= 1"):
        ExitPolicy(max_trials=0)
    with pytest.raises(ConfigError, match=r"Config\.tuning\.objective: expected one of"):
        Config(tuning={"objective": "latency"})
    with pytest.raises(ConfigError, match="only one of 'relative' and 'absolute'"):
        AccuracyCriterion(relative=0.1, absolute=0.1)


def test_outcome_dict_ignores_run_settings_but_not_tuning_choices() -> None:
    base = load_config(RESNET50_YAML)
    same = base.replace(
        **{
            "tuning.exit_policy.max_trials": 3,
            "tuning.exit_policy.timeout": 60,
            "tuning.workspace.path": "/tmp/elsewhere",
            "tuning.workspace.resume": "/tmp/h.json",
            "evaluation.performance.iteration": 7,
            "model.name": "other",
            "model.path": "other.onnx",
        }
    )
    assert same != base
    assert same.outcome_dict() == base.outcome_dict()
    for override in (
        {"quantization.op_wise": {"conv2": {"activation": {"dtype": "fp32"}}}},
        {"evaluation.accuracy.metric": {"topk": 5}},
        {"tuning.random_seed": 1},
        {"tuning.strategy": "tpe"},
        {"tuning.accuracy_criterion.absolute": 0.01},
        {"model.options": {}},
    ):
        assert base.replace(**override).outcome_dict() != base.outcome_dict(), override


def test_replace_sets_dotted_fields_and_validates(resnet_file: Path) -> None:
    cfg = load_config(resnet_file)
    new = cfg.replace(
        **{
            "tuning.exit_policy.max_trials": 5,
            "tuning.strategy.name": "tpe",
            "evaluation.accuracy.metric": "Accuracy",
        }
    )
    assert new.tuning.exit_policy.max_trials == 5
    assert new.tuning.strategy.name == "tpe"
    assert new.evaluation.accuracy.metric == MetricConfig("Accuracy")
    assert new.source == cfg.source  # still the same file
    assert cfg.tuning.exit_policy.max_trials == 50  # the original is untouched
    # setting absolute clears the default relative instead of failing "both given"
    crit = Config().replace(**{"tuning.accuracy_criterion.absolute": 0.1}).tuning
    assert (crit.accuracy_criterion.relative, crit.accuracy_criterion.absolute) == (None, 0.1)
    # a section that was None is created
    assert Config().replace(**{"evaluation.accuracy.metric": "topk"}).evaluation.accuracy
    with pytest.raises(
        ConfigError,
        match=r"tuning\.exit_policy: unknown key 'max_trial' "
        r"\(did you mean 'max_trials'\?\)",
    ):
        cfg.replace(**{"tuning.exit_policy.max_trial": 5})
    with pytest.raises(ConfigError, match=r"tuning\.random_seed: expected an integer >= 0"):
        cfg.replace(**{"tuning.random_seed": "abc"})


def test_yaml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("model:\n  name: a\ntuning:\n  exit_policy: {max_trials: 3\n")
    with pytest.raises(ConfigError, match=r"broken\.yaml:5:\d+: invalid YAML"):
        load_config(path)


def test_duplicate_yaml_key_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "dup.yaml"
    path.write_text("tuning:\n  random_seed: 1\ntuning:\n  random_seed: 2\n")
    with pytest.raises(ConfigError, match=r"dup\.yaml:3:1: .*duplicate key 'tuning'"):
        load_config(path)


def test_missing_file_and_semantic_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.yaml.*not found"):
        load_config(tmp_path / "nope.yaml")
    path = tmp_path / "bad.yaml"
    path.write_text("tuning:\n  objective: speed\n")
    with pytest.raises(
        ConfigError,
        match=r"bad\.yaml: tuning\.objective: expected one of "
        r"performance, modelsize, footprint",
    ):
        load_config(str(path))
    with pytest.raises(ConfigError, match="expected a path to a YAML file"):
        load_config(42)  # type: ignore[arg-type]


# (bad config, dotted field path, what the message must say is expected)
BAD = [
    (
        {"tuning": {"accuracy_criterion": {"relativ": 0.01}}},
        "tuning.accuracy_criterion",
        "unknown key 'relativ' (did you mean 'relative'?)",
    ),
    ({"tunning": {}}, "top level", "unknown key 'tunning' (did you mean 'tuning'?)"),
    (
        {"quantization": {"model_wise": {"weigth": {}}}},
        "quantization.model_wise",
        "did you mean 'weight'?",
    ),
    (
        {"evaluation": {"performance": {"configs": {"cores_per_instanc": 4}}}},
        "evaluation.performance.configs",
        "did you mean 'cores_per_instance'?",
    ),
    ({"tuning": {"strategy": {"nmae": "tpe"}}}, "tuning.strategy", "did you mean 'name'?"),
    (
        {"tuning": {"exit_policy": {"max_trials": "ten"}}},
        "tuning.exit_policy.max_trials",
        "expected an integer >= 1, got 'ten'",
    ),
    (
        {"tuning": {"exit_policy": {"max_trials": True}}},
        "tuning.exit_policy.max_trials",
        "expected an integer >= 1, got True",
    ),
    (
        {"tuning": {"exit_policy": {"timeout": -5}}},
        "tuning.exit_policy.timeout",
        "expected a number >= 0",
    ),
    (
        {"tuning": {"accuracy_criterion": {"relative": 1.0}}},
        "tuning.accuracy_criterion.relative",
        "expected a number >= 0 and < 1",
    ),
    (
        {"tuning": {"accuracy_criterion": {"relative": -0.01}}},
        "tuning.accuracy_criterion.relative",
        "expected a number >= 0 and < 1",
    ),
    (
        {"tuning": {"accuracy_criterion": {"absolute": -1}}},
        "tuning.accuracy_criterion.absolute",
        "expected a number >= 0",
    ),
    (
        {"tuning": {"accuracy_criterion": {"relative": 0.01, "absolute": 0.1}}},
        "tuning.accuracy_criterion",
        "expected only one of 'relative' and 'absolute'",
    ),
    (
        {"tuning": {"accuracy_criterion": {"higher_is_better": "yes"}}},
        "tuning.accuracy_criterion.higher_is_better",
        "expected true or false",
    ),
    (
        {"quantization": {"calibration": {"sampling_size": 0}}},
        "quantization.calibration.sampling_size",
        "expected a positive integer or a list",
    ),
    (
        {"quantization": {"calibration": {"sampling_size": [100, 1.5]}}},
        "quantization.calibration.sampling_size",
        "expected a positive integer or a list",
    ),
    (
        {"quantization": {"calibration": {"dataloader": {"batch_size": 0}}}},
        "quantization.calibration.dataloader.batch_size",
        "expected an integer >= 1",
    ),
    (
        {"evaluation": {"accuracy": {"dataloader": {"last_batch": "drop"}}}},
        "evaluation.accuracy.dataloader.last_batch",
        "expected one of keep, rollover, discard",
    ),
    (
        {
            "quantization": {
                "calibration": {"dataloader": {"dataset": {"ImageFolder": {}, "dummy": {}}}}
            }
        },
        "quantization.calibration.dataloader.dataset",
        "expected exactly one dataset",
    ),
    (
        {"evaluation": {"accuracy": {"metric": {"topk": 1, "Accuracy": {}}}}},
        "evaluation.accuracy.metric",
        "expected exactly one metric",
    ),
    (
        {"quantization": {"op_wise": {"fc[": {"weight": {"granularity": "per_tensor"}}}}},
        "quantization.op_wise",
        "'fc[' is not a valid op name or regular expression",
    ),
    (
        {"quantization": {"op_wise": {"fc": {"weight": {"granularity": "per_tensr"}}}}},
        "quantization.op_wise['fc'].weight.granularity",
        "expected one of per_tensor, per_channel",
    ),
    (
        {"quantization": {"model_wise": {"activation": {"dtype": ["int4"]}}}},
        "quantization.model_wise.activation.dtype",
        "expected one of int8, uint8, fp32",
    ),
    (
        {"quantization": {"approach": "static"}},
        "quantization.approach",
        "expected one of post_training_static_quant",
    ),
    ({"tuning": 5}, "tuning", "expected a mapping with keys strategy, accuracy_criterion"),
    (
        {"tuning": {"objective": "speed"}},
        "tuning.objective",
        "expected one of performance, modelsize, footprint",
    ),
    ({"device": "gpu"}, "device", "expected one of cpu"),
    ({"model": {"inputs": []}}, "model.inputs", "expected a name or a non-empty list"),
    ({"model": {"options": [1, 2]}}, "model.options", "expected a mapping"),
    ({"version": 2}, "version", "expected 1.0"),
]


@pytest.mark.parametrize(
    ("data", "field", "expected"), BAD, ids=[f"{i}-{b[1]}" for i, b in enumerate(BAD)]
)
def test_bad_inputs_name_the_field_and_the_expectation(
    data: dict, field: str, expected: str
) -> None:
    with pytest.raises(ConfigError) as info:
        Config.from_dict(data)
    message = str(info.value)
    assert message.startswith(f"{field}: "), message
    assert expected in message, message


def test_bad_inputs_cover_at_least_twelve_fields() -> None:
    assert len({field for _, field, _ in BAD}) >= 12
