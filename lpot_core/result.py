"""What a tuning run produces: a :class:`Trial` per evaluated config, a :class:`TuningResult`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs

from lpot_core.space import TuneConfig


@attrs.define
class Trial:
    """One evaluated config. The FP32 baseline is the trial with ``config=None``, index 0."""

    index: int
    config: TuneConfig | None
    accuracy: float | None = None
    objective: float | None = None
    met_goal: bool = False
    seconds: float = 0.0
    error: str | None = None
    replayed: bool = False
    #: digest of the strategy (name, params, seed) that proposed it; a resumed run of the
    #: same strategy retraces its own trials, and learns from other strategies' trials.
    origin: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.accuracy is not None

    @property
    def key(self) -> str:
        return self.config.key if self.config is not None else "fp32-baseline"

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "key": self.key,
            "config": self.config.to_dict() if self.config is not None else None,
            "accuracy": self.accuracy,
            "objective": self.objective,
            "met_goal": self.met_goal,
            "seconds": round(self.seconds, 6),
            "error": self.error,
            "origin": self.origin,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Trial:
        cfg = TuneConfig.from_dict(data["config"]) if data.get("config") else None
        return cls(
            index=data["index"],
            config=cfg,
            accuracy=data.get("accuracy"),
            objective=data.get("objective"),
            met_goal=data.get("met_goal", False),
            seconds=data.get("seconds", 0.0),
            error=data.get("error"),
            replayed=True,
            origin=data.get("origin"),
        )


STOP_REASONS = ("goal_met", "timeout", "max_trials", "space_exhausted", "interrupted")


@attrs.define
class TuningResult:
    """The outcome of a tuning run; never ``None``.

    ``model`` is the best quantized model found (meeting the goal if ``met_goal``,
    otherwise the most accurate one so far), or ``None`` only if every trial failed.
    """

    model: Any
    met_goal: bool
    stop_reason: str
    baseline: Trial
    best: Trial | None
    trials: list[Trial]
    tuning_seconds: float
    workspace: Path
    history_path: Path
    model_path: Path | None = None
    report: dict[str, Any] = attrs.field(factory=dict)
    #: median seconds per forward of the FP32 and best INT8 model ({"fp32", "int8"}),
    #: measured side by side at the end of a ``performance`` run
    latency: dict[str, float] | None = None
    #: ops the best config quantized that the backend left in FP32 (``Adaptor.declined_ops``)
    declined_ops: list[str] = attrs.field(factory=list)

    @property
    def evaluated_trials(self) -> int:
        """Trials evaluated in this process (replayed ones excluded)."""
        return sum(1 for t in self.trials if not t.replayed)

    def __str__(self) -> str:
        from lpot_core.report import result_table

        return result_table(self)
