"""A progress bar over trials (tqdm; silent when stderr is not a terminal)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tqdm import tqdm

if TYPE_CHECKING:
    from lpot_core.criterion import Criterion
    from lpot_core.result import Trial


class Progress:
    """One line: trials done, best accuracy, goal."""

    def __init__(self, total: int) -> None:
        self._bar = tqdm(total=total, desc="tuning", unit="trial", disable=None, leave=False)

    def update(self, trial: Trial, best: Trial | None, criterion: Criterion) -> None:
        best_acc = best.accuracy if best is not None else None
        self._bar.set_postfix_str(
            f"last={trial.accuracy if trial.accuracy is not None else 'failed'}"
            f" best={best_acc} goal={criterion.target:.5g}",
            refresh=False,
        )
        self._bar.update(1)

    def close(self) -> None:
        self._bar.close()
