"""``random``: uniformly random configs, seeded, never repeated, default first."""

from __future__ import annotations

import numpy as np

from lpot_core.space import TuneConfig, TuningSpace
from lpot_core.strategies._common import MemoStrategy, Steps
from lpot_core.strategy import StrategyContext

MAX_DRAWS = 1000  # consecutive repeats before concluding the space is used up


class RandomStrategy(MemoStrategy):
    """The default config, then per-op uniform random choices (and sampling size),
    from ``numpy.random.default_rng(context.seed)``. Stops when the space is exhausted."""

    param_types = {}  # none

    def __init__(self, space: TuningSpace, context: StrategyContext) -> None:
        super().__init__(space, context)
        self.rng = np.random.default_rng(context.seed)
        self._counts = np.array([len(c) for c in space.choices.values()])

    def draw(self) -> TuneConfig:
        """One uniformly random config."""
        picks = self.rng.integers(0, self._counts)  # one vectorized draw for all ops
        ops = {
            name: choices[int(i)]
            for (name, choices), i in zip(self.space.choices.items(), picks, strict=True)
        }
        sizes = self.space.sampling_sizes
        return TuneConfig(ops, sizes[int(self.rng.integers(len(sizes)))], self.space.approach)

    def generate(self) -> Steps:
        yield from self.evaluate(self.space.default())
        total = self.space.size()
        while len(self.trials) < total:
            for _ in range(MAX_DRAWS):
                cfg = self.draw()
                if cfg.key not in self.trials:
                    break
            else:
                return
            yield from self.evaluate(cfg)
