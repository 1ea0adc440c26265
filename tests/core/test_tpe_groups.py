"""tpe on a model with more ops than dimensions: neighbouring ops share a dimension."""

from __future__ import annotations

from lpot_core.result import Trial
from lpot_core.space import TuningSpace
from lpot_core.strategies.tpe import TPEStrategy, _groups
from lpot_core.strategy import StrategyContext
from lpot_core.testing.models import make_large_space_model
from lpot_core.testing.numpy_adaptor import NumpyAdaptor


def test_groups_cover_every_op_once_in_order():
    ops = [f"op{i}" for i in range(10)]
    groups = _groups(ops, 4)
    assert len(groups) == 4
    assert [op for members in groups.values() for op in members] == ops
    assert _groups(ops, 10) == {op: [op] for op in ops}


def test_grouped_tpe_proposes_valid_distinct_configs_deterministically():
    model, _, _ = make_large_space_model(n_ops=60)
    space = TuningSpace(NumpyAdaptor("numpy").capabilities(model, "static"))

    def run(seed: int) -> list[str]:
        ctx = StrategyContext(
            baseline=Trial(0, None, accuracy=1.0),
            seed=seed,
            max_trials=12,
            meets_goal=lambda a: a >= 0.99,
            shortfall=lambda a: max(0.0, 0.99 - a),
            op_errors=lambda cfg, ops: {},
            params={"max_dims": 6},
        )
        strategy = TPEStrategy(space, ctx)
        keys = []
        for i in range(12):
            cfg = strategy.propose()
            space.validate(cfg)
            keys.append(cfg.key)
            # ops 0..9 are "sensitive": accuracy grows with how many of them are FP32
            acc = 0.9 + 0.01 * sum(cfg.ops[f"op{j}"].is_fp32 for j in range(10))
            strategy.observe(cfg, Trial(i + 1, cfg, accuracy=acc, met_goal=acc >= 0.99))
        return keys

    first = run(5)
    assert len(set(first)) == 12
    assert first == run(5) and first != run(6)
    assert (
        len(
            TPEStrategy(
                space,
                StrategyContext(
                    baseline=Trial(0, None, accuracy=1.0),
                    seed=0,
                    max_trials=5,
                    meets_goal=bool,
                    shortfall=float,
                    op_errors=lambda c, o: {},
                    params={"max_dims": 6},
                ),
            ).labels
        )
        <= 12
    )
