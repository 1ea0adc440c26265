"""``mse``: ``basic`` with ops ranked by quantization error instead of accuracy trials,
and no op-type stage: after the model-wise stage it falls back ops in error order.

The error of an op is ``context.op_errors``: the normalized MSE between its FP32 and
quantized outputs, which costs a quantize and an inspection, never an evaluation.

Two ways to measure it (param ``isolate``, default ``"auto"``):

- isolated: quantize that op alone (every other op FP32) and read its output error, so
  the error is the op's own and not what it inherited from earlier ops (a raw output
  error grows along the graph and ranks late ops first). One quantize per op: used when
  there are at most ``max_isolated_ops`` (default 64) candidates.
- output: one quantize of the best config, errors of all ops at once; after each accepted
  fallback the remaining ops are re-ranked on the new config (NNCF's refinement: an op's
  error changes once the ops before it are FP32).

If the backend cannot inspect activations (``op_errors`` returns ``{}``), ``mse`` ranks by
measured sensitivity exactly like ``basic``.
"""

from __future__ import annotations

from collections.abc import Sequence

from lpot_core.result import Trial
from lpot_core.space import TuneConfig
from lpot_core.strategies._common import Steps
from lpot_core.strategies.basic import BasicStrategy
from lpot_core.strategy import count


def _boolean(value: object) -> bool:
    if isinstance(value, bool):
        return value
    raise ValueError('must be "auto", true or false')


class MSEStrategy(BasicStrategy):
    """``basic`` with per-op fallback ordered by quantization error, highest first.

    Params: ``isolate`` (``"auto"``, true, false), ``max_isolated_ops`` (int, default 64),
    and ``basic``'s ``max_sensitivity_ops`` for the no-inspection fallback.
    """

    param_types = {
        **BasicStrategy.param_types,
        "isolate": lambda v: v if v == "auto" else _boolean(v),
        "max_isolated_ops": count,
    }
    _output_mode = False
    best_improvement = False  # trust the error ranking: no trial round per accepted op
    # The ranking costs no evaluations, so go straight to it (as LPOT's mse did): falling
    # back whole op types first would put many ops in FP32 that trimming must win back.
    op_type_stage = False

    def rank(self, base: TuneConfig, base_trial: Trial, ops: Sequence[str]) -> Steps:
        errors = self.errors(base, ops)
        if not errors:
            ranking = yield from super().rank(base, base_trial, ops)
            return ranking
        return sorted(ops, key=lambda op: -errors.get(op, 0.0))

    def errors(self, base: TuneConfig, ops: Sequence[str]) -> dict[str, float]:
        """Per-op error of ``base`` (isolated or in place, see the module docs)."""
        isolate = self.context.params.get("isolate", "auto")
        if isolate == "auto":
            isolate = len(ops) <= int(self.context.params.get("max_isolated_ops", 64))
        if not isolate:
            self._output_mode = True
            return self.context.op_errors(base, list(ops))
        fallbackable = [op for op in self.space.tunable_ops if self.space.can_fallback(op)]
        errors: dict[str, float] = {}
        for op in ops:
            alone = base.fallback([o for o in fallbackable if o != op])
            found = self.context.op_errors(alone, [op])
            if not found:
                return {}  # the backend cannot inspect: rank by accuracy instead
            errors[op] = found.get(op, 0.0)
        return errors

    def rerank(self, current: TuneConfig, remaining: list[str]) -> list[str]:
        if not self._output_mode or not remaining:
            return remaining
        errors = self.context.op_errors(current, remaining)
        if not errors:
            return remaining
        return sorted(remaining, key=lambda op: -errors.get(op, 0.0))
