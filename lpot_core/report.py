"""The result table (LPOT model-zoo style) and the report files in the workspace."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lpot_core.config import Config
    from lpot_core.criterion import Criterion
    from lpot_core.result import TuningResult


def summary(
    result: TuningResult,
    config: Config | None = None,
    criterion: Criterion | None = None,
    framework: str | None = None,
) -> dict[str, Any]:
    """The figures of a run as plain data (what report.json holds)."""
    base, best = result.baseline, result.best
    fp32, int8 = base.accuracy, best.accuracy if best else None
    change = None
    if fp32 not in (None, 0) and int8 is not None:
        change = (int8 - fp32) / abs(fp32)
        if criterion is not None and not criterion.higher_is_better:
            change = -change
    ratio = None
    if result.latency:
        ratio = result.latency["fp32"] / result.latency["int8"]
    elif base.objective and best is not None and best.objective:
        ratio = base.objective / best.objective
    return {
        "model": config.model.name if config else "model",
        "framework": framework or (config.model.framework if config else None),
        "objective": config.tuning.objective if config else None,
        "fp32_accuracy": fp32,
        "int8_accuracy": int8,
        "relative_change": change,
        "goal": criterion.target if criterion else None,
        "met_goal": result.met_goal,
        "stop_reason": result.stop_reason,
        "fp32_objective": base.objective,
        "int8_objective": best.objective if best else None,
        "objective_ratio": ratio,
        "latency_seconds": result.latency,
        "trials": len(result.trials),
        "evaluated_trials": result.evaluated_trials,
        "tuning_seconds": round(result.tuning_seconds, 3),
        "fp32_ops": best.config.fp32_ops if best and best.config else [],
        "backend_fp32_ops": list(result.declined_ops),
        "model_path": str(result.model_path) if result.model_path else None,
        "history_path": str(result.history_path),
    }


def _fmt(value: Any, spec: str) -> str:
    return "n/a" if value is None else format(value, spec)


def _trials(d: dict[str, Any]) -> str:
    """``12``, or ``12 (9 replayed)`` when a resumed run took some from its history."""
    replayed = d["trials"] - d.get("evaluated_trials", d["trials"])
    return f"{d['trials']} ({replayed} replayed)" if replayed else str(d["trials"])


def result_table(result: TuningResult, data: dict[str, Any] | None = None) -> str:
    """A markdown table like LPOT's model zoo, plus the outcome line."""
    d = data or result.report or summary(result)
    ratio_name = {
        "performance": "FP32/INT8 latency",
        "modelsize": "FP32/INT8 size",
        "footprint": "FP32/INT8 footprint",
    }.get(d.get("objective") or "", "objective ratio")
    head = [
        "Model",
        "Framework",
        "FP32 acc",
        "INT8 acc",
        "Rel. change",
        ratio_name,
        "Trials",
        "Tuning time",
    ]
    row = [
        d["model"],
        d.get("framework") or "-",
        _fmt(d["fp32_accuracy"], ".4f"),
        _fmt(d["int8_accuracy"], ".4f"),
        "n/a" if d["relative_change"] is None else f"{d['relative_change'] * 100:+.2f}%",
        "n/a" if d["objective_ratio"] is None else f"{d['objective_ratio']:.2f}x",
        _trials(d),
        f"{d['tuning_seconds']:.1f}s",
    ]
    lines = [
        "| " + " | ".join(head) + " |",
        "|" + "|".join("---" for _ in head) + "|",
        "| " + " | ".join(row) + " |",
        "",
    ]
    outcome = "met the accuracy goal" if d["met_goal"] else "did NOT meet the accuracy goal"
    declined = d.get("backend_fp32_ops") or []
    also = (
        f" (+{len(declined)} the backend did not quantize: {', '.join(declined[:3])}"
        + (", ..." if len(declined) > 3 else "")
        + ")"
        if declined
        else ""
    )
    lines.append(
        f"Outcome: {outcome} (stopped: {d['stop_reason']}); "
        f"{len(d['fp32_ops'])} op(s) left in FP32{also}."
    )
    if d.get("model_path"):
        lines.append(f"INT8 model: {d['model_path']}")
    lines.append(f"History: {d['history_path']}")
    return "\n".join(lines)


def write_report(
    result: TuningResult, config: Config, criterion: Criterion, framework: str | None = None
) -> dict[str, Any]:
    """Write report.md and report.json into the workspace; return the summary."""
    data = summary(result, config, criterion, framework)
    data["trials_detail"] = [t.to_dict() | {"replayed": t.replayed} for t in result.trials]
    workspace = Path(result.workspace)
    workspace.mkdir(parents=True, exist_ok=True)
    _write(workspace / "report.json", json.dumps(data, indent=2, default=str))
    _write(workspace / "report.md", "# lpot tuning report\n\n" + result_table(result, data) + "\n")
    return data


def _write(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
