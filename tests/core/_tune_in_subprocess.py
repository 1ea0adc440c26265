"""Run one tuning of the sensitive numpy model; used by test_resume.py as a child process.

    python _tune_in_subprocess.py WORKSPACE EVAL_LOG SLEEP_SECONDS STRATEGY
Each evaluation appends a line to EVAL_LOG, so the parent can count them.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from conftest import tuning_config

from lpot_core import plugins
from lpot_core.api import quantize
from lpot_core.data import DataLoader
from lpot_core.testing import numpy_adaptor
from lpot_core.testing.models import make_sensitive_model


def main() -> None:
    workspace, log, pause, strategy = sys.argv[1:5]
    model, x, y = make_sensitive_model(seed=0)

    def eval_func(m: numpy_adaptor.NumpyModel) -> float:
        with open(log, "a") as f:
            f.write("eval\n")
        time.sleep(float(pause))
        return float((m(x).argmax(axis=1) == y).mean())

    pm = plugins.get_plugin_manager()  # the numpy backend comes from the example plugin
    cfg = tuning_config(
        Path(workspace), strategy={"name": strategy}, exit_policy={"timeout": 0, "max_trials": 25}
    )
    result = quantize(
        model,
        cfg,
        calib_dataloader=DataLoader.from_arrays(x[:128], y[:128], batch_size=64),
        eval_func=eval_func,
        plugin_manager=pm,
    )
    print(
        json.dumps(
            {
                "best": result.best.key,
                "accuracy": result.best.accuracy,
                "trials": len(result.trials),
                "fp32_ops": result.best.config.fp32_ops,
                "replayed": sum(t.replayed for t in result.trials),
            }
        )
    )


if __name__ == "__main__":
    main()
