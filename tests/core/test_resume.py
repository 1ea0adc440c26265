"""A tuning process killed with SIGKILL resumes to the same result, re-evaluating nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).parent
SCRIPT = HERE / "_tune_in_subprocess.py"


def run(workspace: Path, log: Path, pause: float, strategy: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(HERE))
    return subprocess.Popen(
        [sys.executable, str(SCRIPT), str(workspace), str(log), str(pause), strategy],
        stdout=subprocess.PIPE,
        env=env,
        text=True,
    )


def evaluations(log: Path) -> int:
    return len(log.read_text().splitlines()) if log.exists() else 0


@pytest.mark.parametrize("strategy", ["basic", "tpe"])
def test_sigkill_mid_run_resumes_to_the_same_result(tmp_path, strategy):
    # Reference: one uninterrupted run.
    ref = run(tmp_path / "ref", tmp_path / "ref.log", 0.0, strategy)
    expected = json.loads(ref.communicate(timeout=300)[0])
    total_evals = evaluations(tmp_path / "ref.log")
    assert total_evals >= 4, "the run must be long enough to be killed mid-way"

    # Killed once a few trials are recorded, wherever it then is.
    ws, log = tmp_path / "ws", tmp_path / "killed.log"
    child = run(ws, log, 0.05, strategy)
    history = ws / "history.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if history.exists() and len(history.read_text().splitlines()) >= 4:
            break
        time.sleep(0.01)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL
    recorded = 0  # complete records only: a line cut short by the kill is not one
    for line in history.read_text().splitlines()[1:]:
        try:
            json.loads(line)
            recorded += 1
        except json.JSONDecodeError:
            pass
    assert 3 <= recorded < total_evals

    # Resumed: the same answer, and only the unrecorded trials are evaluated.
    resumed = run(ws, tmp_path / "resumed.log", 0.0, strategy)
    got = json.loads(resumed.communicate(timeout=300)[0])
    assert got["best"] == expected["best"]
    assert got["fp32_ops"] == expected["fp32_ops"]
    assert got["trials"] == expected["trials"]
    new_evals = evaluations(tmp_path / "resumed.log")
    assert new_evals == total_evals - recorded
    assert got["replayed"] >= recorded - 1  # the baseline is replayed too, not a trial
