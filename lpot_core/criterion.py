"""The accuracy goal: how far a quantized model may fall from the FP32 baseline."""

from __future__ import annotations

import math

import attrs

from lpot_core.errors import BaselineError


@attrs.frozen
class Criterion:
    """``relative`` (fraction of the baseline) or ``absolute`` allowed loss.

    With ``higher_is_better`` the goal is ``accuracy >= target``, otherwise
    ``accuracy <= target`` (losses, errors).
    """

    baseline: float
    relative: float | None = 0.01
    absolute: float | None = None
    higher_is_better: bool = True

    def __attrs_post_init__(self) -> None:
        if not math.isfinite(self.baseline):
            raise BaselineError(
                f"the FP32 baseline is {self.baseline}; check the eval function "
                "or metric, which must return a finite number"
            )
        if self.absolute is None and self.baseline == 0:
            raise BaselineError(
                "the FP32 baseline accuracy is 0, so a relative accuracy criterion accepts "
                "anything or nothing; check that the eval data and metric are right, or use "
                "tuning.accuracy_criterion.absolute"
            )

    @property
    def allowed_loss(self) -> float:
        if self.absolute is not None:
            return self.absolute
        return abs(self.baseline) * (self.relative or 0.0)

    @property
    def target(self) -> float:
        """The worst accuracy that still meets the goal."""
        sign = 1 if self.higher_is_better else -1
        return self.baseline - sign * self.allowed_loss

    def meets(self, accuracy: float) -> bool:
        # A hair of tolerance so a model equal to the bound is not rejected by rounding.
        eps = 1e-12 * max(1.0, abs(self.baseline))
        if self.higher_is_better:
            return accuracy >= self.target - eps
        return accuracy <= self.target + eps

    def shortfall(self, accuracy: float) -> float:
        """How far ``accuracy`` misses the goal (0 if it meets it)."""
        gap = self.target - accuracy if self.higher_is_better else accuracy - self.target
        return max(0.0, gap)

    def relative_change(self, accuracy: float) -> float:
        """Signed change against the baseline, as a fraction (-0.004 = 0.4% worse)."""
        change = (accuracy - self.baseline) / abs(self.baseline) if self.baseline else 0.0
        return change if self.higher_is_better else -change
