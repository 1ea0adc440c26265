"""The tuning space built from capabilities: preference order and user restrictions."""

from __future__ import annotations

import attrs

from lpot_core.space import FP32, OpSpec, TuningSpace
from lpot_core.strategies.exhaustive import iter_space
from lpot_core.testing.models import make_sensitive_model
from lpot_core.testing.numpy_adaptor import NumpyAdaptor


def _caps(prefer_fp32: set[str]):
    model = make_sensitive_model(0, n_samples=16)[0]
    caps = NumpyAdaptor("numpy").capabilities(model, "static")
    return [attrs.evolve(c, prefer_fp32=c.name in prefer_fp32) for c in caps]


def test_fp32_is_the_last_resort_by_default():
    space = TuningSpace(_caps(set()))
    assert all(choices[-1] == FP32 for choices in space.choices.values())
    assert space.default().fp32_ops == []


#: one quantized choice per op, so the space is small enough to enumerate (2**6 configs)
ONE_CHOICE = OpSpec(
    activation={"dtype": ["uint8", "fp32"], "scheme": ["asym"], "algorithm": ["minmax"]},
    weight={"dtype": ["int8"], "scheme": ["sym"], "granularity": ["per_channel"]},
)


def test_an_op_the_backend_prefers_in_fp32_starts_fp32_but_stays_tunable():
    space = TuningSpace(_caps({"fc1"}), model_wise=ONE_CHOICE)
    assert space.size() == 2**6
    assert space.choices["fc1"][0] == FP32 and len(space.choices["fc1"]) > 1
    assert space.default().fp32_ops == ["fc1"]
    assert "fc1" in space.tunable_ops and space.can_fallback("fc1")
    # exhaustive still enumerates every config, the all-quantized ones first
    configs = list(iter_space(space))
    assert len(configs) == space.size() == len(set(configs))
    assert configs[0].fp32_ops == []


def test_op_wise_int8_overrides_the_backends_preference():
    space = TuningSpace(_caps({"fc1"}), op_wise={"fc1": OpSpec(activation={"dtype": ["int8"]})})
    assert FP32 not in space.choices["fc1"]
    assert space.default().fp32_ops == []
