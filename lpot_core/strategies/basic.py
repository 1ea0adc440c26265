"""``basic``: LPOT's default strategy, and the skeleton ``mse`` reuses.

Stages (the tuner stops as soon as a config meets the goal when ``timeout`` is 0):

1. the default config (every op at its preferred choice);
2. model-wise variants of the best config so far (one knob changed model-wide), hill
   climbing until no variant of the current best is more accurate;
3. op-type-wise fallback: each op type's ops all in FP32 on top of the best config;
4. per-op fallback: rank ops (``basic``: by measured sensitivity, the accuracy when that
   op alone falls back), then accumulate fallbacks that make the config more accurate:
   in rounds, each keeping the best op of the round (``basic``; round one is the
   sensitivity trials), or the first improvement along the ranking (``mse``);
5. if that never met the goal: LPOT's cumulative fallback, every op in ranking order.

When stage 3 or 5 meets the goal with several ops in FP32, ``basic`` trims that set
before stopping (:meth:`BasicStrategy.trim`): it re-quantizes halves, then smaller chunks,
of the fallen-back ops while the goal stays met (delta debugging). One sensitive op
among 62 fallen back costs about 12 trials; the model keeps the speed of the other 61.

Cost in trials for ``n`` fallback-able ops, ``v`` model-wise knobs, ``t`` op types:
``1 + v*(improvements+1) + t + min(n, max_sensitivity_ops)`` for the ranking, then about
``n`` per accepted fallback (the round that meets the goal stops early); stage 5 ``<= n``;
trimming at most ``max_trim_trials`` (default 16).
With more than ``max_sensitivity_ops`` (default 64) ops, only that many are measured:
those with the largest ``context.op_errors`` if the backend can inspect activations,
otherwise the first in graph order; the rest follow them, unmeasured, in that order.
"""

from __future__ import annotations

from collections.abc import Sequence

from lpot_core.result import Trial
from lpot_core.space import TuneConfig
from lpot_core.strategies._common import MemoStrategy, Steps, accuracy_key, trial_score
from lpot_core.strategy import count


class BasicStrategy(MemoStrategy):
    """Default config, model-wise variants, op-type fallback, per-op fallback by sensitivity.

    Params: ``max_sensitivity_ops`` (int, default 64): how many ops get a sensitivity trial;
    ``max_trim_trials`` (int, default 16; 0 disables trimming).
    """

    param_types = {"max_sensitivity_ops": count, "max_trim_trials": count}
    #: per-op stage: best of each round (True) or first improvement in ranking order.
    best_improvement = True
    #: stage 3 (each op type in FP32): blunt but cheap when per-op ranking costs trials.
    op_type_stage = True

    def generate(self) -> Steps:
        best = self.space.default()
        best_trial = yield from self.evaluate(best)
        best, best_trial = yield from self.model_wise(best, best_trial)
        if best_trial.met_goal:
            return  # all quantized ops and the goal met: any fallback only costs speed
        for ops in self.space.op_types().values() if self.op_type_stage else ():
            self.refining = self.trims  # a goal met here is trimmed before the run stops
            trial = yield from self.evaluate(best.fallback(ops))
            if trial.met_goal:
                yield from self.trim(best, ops)
                return
        self.refining = False
        candidates = [
            op
            for op in self.space.tunable_ops
            if self.space.can_fallback(op) and not best.ops[op].is_fp32
        ]
        ranking = yield from self.rank(best, best_trial, candidates)
        current, current_trial = yield from self.accumulate(best, best_trial, ranking)
        if current_trial.met_goal:
            return
        for op in ranking:  # stage 5: LPOT's cumulative fallback, helpful or not
            if current.ops[op].is_fp32:
                continue
            current = current.fallback([op])
            self.refining = self.trims
            trial = yield from self.evaluate(current)
            if trial.met_goal:
                yield from self.trim(best, current.fp32_ops)
                return
        self.refining = False

    # -- stages --------------------------------------------------------------
    @property
    def trims(self) -> bool:
        return int(self.context.params.get("max_trim_trials", 16)) > 0

    def trim(self, base: TuneConfig, fallen: Sequence[str]) -> Steps:
        """Shrink the set of ops ``base`` needs in FP32 to meet the goal, knowing all of
        ``fallen`` suffice (ddmin): try each of ``n`` chunks alone, then (n > 2) all but
        one chunk; keep the first candidate that meets the goal, else split finer.
        Returns the smallest set found within ``max_trim_trials`` new trials."""
        kept = [op for op in fallen if not base.ops[op].is_fp32]
        budget = int(self.context.params.get("max_trim_trials", 16))
        n = 2
        try:
            while len(kept) > 1 and budget > 0:
                size = -(-len(kept) // n)  # ceil: n chunks in graph order
                chunks = [kept[i : i + size] for i in range(0, len(kept), size)]
                complements = [[op for op in kept if op not in c] for c in chunks]
                candidates = [(c, 2) for c in chunks]
                if len(chunks) > 2:
                    candidates += [(c, len(chunks) - 1) for c in complements]
                for candidate, next_n in candidates:
                    cfg = base.fallback(candidate)
                    budget -= cfg.key not in self.trials
                    trial = yield from self.evaluate(cfg)
                    if trial.met_goal:
                        kept, n = candidate, max(next_n, 2)
                        break
                    if budget <= 0:
                        break
                else:  # no smaller set met the goal: split finer, or stop at single ops
                    if n >= len(kept):
                        break
                    n = min(2 * n, len(kept))
        finally:
            self.refining = False
        return kept

    def better(self, a: Trial, b: Trial) -> bool:
        return trial_score(a, self.context) > trial_score(b, self.context)

    def model_wise(self, best: TuneConfig, best_trial: Trial) -> Steps:
        """Hill-climb over model-wide knob changes; returns ``(best, best_trial)``."""
        improved = True
        while improved:
            improved = False
            for variant in self.space.model_wise_variants(best):
                if variant.key in self.trials:
                    continue
                trial = yield from self.evaluate(variant)
                if self.better(trial, best_trial):
                    best, best_trial, improved = variant, trial, True
                    break  # climb from the new best
        return best, best_trial

    def rank(self, base: TuneConfig, base_trial: Trial, ops: Sequence[str]) -> Steps:
        """Ops ordered most-sensitive first, by the accuracy of falling back each alone."""
        cap = int(self.context.params.get("max_sensitivity_ops", 64))
        ops = list(ops)
        if len(ops) > cap:
            errors = self.context.op_errors(base, ops)
            if errors:
                ops.sort(key=lambda op: -errors.get(op, 0.0))
        measured, rest = ops[:cap], ops[cap:]
        gain: dict[str, float] = {}
        for op in measured:
            trial = yield from self.evaluate(base.fallback([op]))
            gain[op] = accuracy_key(trial, self.context)
        order = sorted(measured, key=lambda op: -gain[op])  # stable: graph order on ties
        return order + rest

    def rerank(self, current: TuneConfig, remaining: list[str]) -> list[str]:
        """Order of the ops still to try after ``current`` was accepted (basic: unchanged)."""
        return remaining

    def accumulate(self, base: TuneConfig, base_trial: Trial, ranking: Sequence[str]) -> Steps:
        """Fall back ops one at a time, keeping only fallbacks that improve accuracy.

        ``basic`` (``best_improvement``): each round tries every remaining op on top of the
        current config and keeps the best (round one is the sensitivity trials, reused),
        so a fallback that helps only by evaluation noise loses to one that really helps.
        Otherwise (``mse``): walk the ranking once, keeping the first improvements.
        Either way a goal-meeting candidate ends the stage at once.
        """
        current, current_trial = base, base_trial
        remaining = list(ranking)
        while remaining:
            best_op, best_trial = None, current_trial
            scores: dict[str, float] = {}
            for op in list(remaining):
                candidate = current.fallback([op])
                trial = yield from self.evaluate(candidate)
                if trial.met_goal:
                    return candidate, trial
                scores[op] = accuracy_key(trial, self.context)
                if scores[op] > accuracy_key(best_trial, self.context):
                    best_op, best_trial = op, trial
                    if not self.best_improvement:
                        break
            if best_op is None:
                break
            current, current_trial = current.fallback([best_op]), best_trial
            remaining.remove(best_op)
            if self.best_improvement:  # next round: most promising first
                remaining.sort(key=lambda op: -scores.get(op, float("-inf")))
            remaining = self.rerank(current, remaining)
        return current, current_trial
