"""What "faster" or "smaller" means for a tuning run: the objective a strategy minimizes."""

from __future__ import annotations

import logging
import statistics
import tracemalloc
from typing import Any

from lpot_core.adaptor import Adaptor

log = logging.getLogger(__name__)

OBJECTIVES = ("performance", "modelsize", "footprint")


class Objective:
    """Measures one objective of a model; lower is better.

    ``performance`` is the median latency of the model's own forward on one batch,
    measured by the adaptor (not the wall time of a whole evaluation); ``modelsize``
    is bytes on disk; ``footprint`` is the peak Python-heap allocation of one forward
    (native framework memory is invisible to it).
    """

    def __init__(
        self, kind: str, adaptor: Adaptor, inputs: Any, warmup: int = 5, iterations: int = 100
    ) -> None:
        self.kind = kind
        self.adaptor = adaptor
        self.inputs = inputs
        self.warmup = warmup
        self.iterations = iterations

    @property
    def unit(self) -> str:
        return {"performance": "s", "modelsize": "B", "footprint": "B"}[self.kind]

    def measure(self, model: Any) -> float | None:
        if self.kind == "modelsize":
            return float(self.adaptor.model_size(model))
        if self.inputs is None:
            log.debug("no input batch to measure %s on", self.kind)
            return None
        if self.kind == "footprint":
            tracemalloc.start()
            try:
                self.adaptor.predict(model, self.inputs)
                return float(tracemalloc.get_traced_memory()[1])
            finally:
                tracemalloc.stop()
        times = self.adaptor.latency(model, self.inputs, self.warmup, self.iterations)
        return statistics.median(times)
