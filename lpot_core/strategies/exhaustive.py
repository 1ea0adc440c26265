"""``exhaustive``: every config of the space, fewest FP32 ops first."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import combinations, product

from lpot_core.errors import ConfigError
from lpot_core.space import FP32, TuneConfig, TuningSpace
from lpot_core.strategies._common import MemoStrategy, Steps
from lpot_core.strategy import StrategyContext, positive


class ExhaustiveStrategy(MemoStrategy):
    """Enumerates the whole space in a deterministic order: all-quantized configs first
    (in preference order), then those with one op in FP32 (in graph order),
    then two, ... Within a fallback set, quantized choices vary in preference order.

    Params: ``max_space`` (int, default 100_000): refuse larger spaces.
    """

    param_types = {"max_space": positive}

    def __init__(self, space: TuningSpace, context: StrategyContext) -> None:
        limit = int(context.params.get("max_space", 100_000))
        size = space.size()
        if size > limit:
            raise ConfigError(
                f"the exhaustive strategy would try {size:,} configs, more than max_space="
                f"{limit:,}; use tuning.strategy.name 'basic' or 'tpe', narrow the space with "
                "model_wise/op_wise, or raise tuning.strategy.max_space"
            )
        super().__init__(space, context)

    def generate(self) -> Steps:
        for cfg in iter_space(self.space):
            yield from self.evaluate(cfg)


def iter_space(space: TuningSpace) -> Iterator[TuneConfig]:
    """Every config of ``space``, fewest FP32 ops first; exactly ``space.size()`` of them."""
    names = list(space.choices)
    quantized = {n: [c for c in space.choices[n] if not c.is_fp32] for n in names}
    optional = [n for n in names if quantized[n] and FP32 in space.choices[n]]
    forced = {n for n in names if not quantized[n]}  # FP32 is their only choice
    for k in range(len(optional) + 1):
        for fallen in combinations(optional, k):
            fp32 = forced | set(fallen)
            live = [n for n in names if n not in fp32]
            for size in space.sampling_sizes:
                for picks in product(*(quantized[n] for n in live)):
                    ops = {n: FP32 for n in fp32}
                    ops.update(zip(live, picks, strict=True))
                    yield TuneConfig({n: ops[n] for n in names}, size, space.approach)
