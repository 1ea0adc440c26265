"""The LPOT-style model-zoo table, lpot tuning next to plain framework quantization.

    python benchmarks/model_zoo.py [--backends onnx torch] [--quick] [--out PATH]

Each backend contributes rows through ``benchmarks/zoo_<backend>.py``, a module with
``rows(quick: bool) -> list[dict]`` (keys: ``COLUMNS``). A backend whose plugin
(``lpot_<backend>``) or row module is missing is skipped with a note in the output.
Writes ``benchmarks/RESULTS.md`` (``--out``) and prints the same table.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import importlib
import importlib.metadata
import importlib.util
import logging
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

from lpot_core.cpu import cpu_info, has_vnni

HERE = Path(__file__).resolve().parent
#: (row key, column title, format)
COLUMNS: list[tuple[str, str, str]] = [
    ("framework", "Framework", "s"),
    ("model", "Model", "s"),
    ("dataset", "Dataset", "s"),
    ("method", "Method", "s"),
    ("int8_acc", "INT8 acc", ".4f"),
    ("fp32_acc", "FP32 acc", ".4f"),
    ("acc_ratio", "Acc ratio", ".4f"),
    ("batch", "Batch", "d"),
    ("speedup_1t", "FP32/INT8 latency, 1 thread", ".2f"),
    ("speedup_2t", "FP32/INT8 latency, 2 threads", ".2f"),
    ("vs_eager_1t", "vs eager FP32, 1 thread", ".2f"),
    ("vs_eager_2t", "vs eager FP32, 2 threads", ".2f"),
    ("met_goal", "Within 1%", "s"),
    ("trials", "Trials", "d"),
    ("tuning_s", "Tuning time", ".0f"),
]


def _cell(value: Any, spec: str, key: str) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "**no**"
    if key.startswith(("speedup", "vs_eager")):
        return f"{value:{spec}}x"
    if key == "tuning_s":
        return f"{value:{spec}} s"
    return format(value, spec)


def table(rows: list[dict[str, Any]]) -> str:
    """The rows as a markdown table."""
    lines = [
        "| " + " | ".join(title for _, title, _ in COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
    ]
    for row in rows:
        cells = [_cell(row.get(key), spec, key) for key, _, spec in COLUMNS]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def machine() -> str:
    """Cores, CPU flags that matter for INT8, load, and library versions."""
    model, flags = cpu_info()
    model = model or platform.processor() or platform.machine()
    vnni = "VNNI" if has_vnni() else "no VNNI"
    simd = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "no AVX2"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    versions = []
    for pkg in ("onnxruntime", "onnx", "torch", "torchao"):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            versions.append(f"{pkg} {importlib.metadata.version(pkg)}")
    return (
        f"{os.cpu_count()} cores, {simd}, {vnni} ({model}); load average {load:.1f} at the "
        f"start (the machine is shared: another process may have been running); "
        f"Python {platform.python_version()}, {', '.join(versions)}"
    )


def backend_rows(backend: str, quick: bool) -> tuple[list[dict[str, Any]], str | None]:
    """The backend's rows, or no rows and the reason it was skipped."""
    if importlib.util.find_spec(f"lpot_{backend}") is None:
        hint = f"pip install ./plugins/lpot_{backend}"
        return [], f"{backend}: skipped, plugin lpot_{backend} not installed ({hint})"
    if not (HERE / f"zoo_{backend}.py").is_file():
        return [], f"{backend}: skipped, no benchmarks/zoo_{backend}.py yet"
    module = importlib.import_module(f"zoo_{backend}")
    return module.rows(quick), None


def report(rows: list[dict[str, Any]], notes: list[str], quick: bool, seconds: float) -> str:
    """RESULTS.md: how it was made, the table, and what the columns mean."""
    command = "python benchmarks/model_zoo.py " + " ".join(sys.argv[1:])
    parts = [
        "# Model zoo: lpot tuning vs plain framework quantization",
        "",
        f"Made by `{command.strip()}` on {datetime.date.today()} in {seconds / 60:.1f} min"
        + (" (--quick: evaluation subsets, shorter timing)" if quick else "")
        + ".",
        "",
        f"Machine: {machine()}.",
        "",
        table(rows),
        "",
        "- **lpot** rows: `lpot_core.api.quantize` with the example's config "
        "(`examples/<backend>/<model>/conf.yaml`: `basic`, relative loss ≤ 1%); "
        "*Trials* counts evaluated INT8 configs (the FP32 baseline excluded); *Tuning "
        "time* includes the FP32 baseline and calibration.",
        "- **plain** rows: the framework's own quantization API with its defaults, no "
        "tuning, same calibration and evaluation data.",
        "- *Acc ratio* = INT8 / FP32 accuracy. *FP32/INT8 latency*: at the batch shown "
        "(1 where blank), median of alternating FP32/INT8 blocks in one process; above 1 "
        "means INT8 is faster. PyTorch INT8 and FP32 are both `torch.compile`d (inductor); "
        "*vs eager FP32* compares against the uncompiled FP32 module. Absolute times on "
        "this shared machine mean little.",
    ]
    if notes:
        parts += ["", "Notes:", ""] + [f"- {n}" for n in notes]
    return "\n".join(parts) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", nargs="+", default=["onnx", "torch"])
    parser.add_argument("--quick", action="store_true", help="subsets and short timing")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    sys.path.insert(0, str(HERE))
    start = time.perf_counter()
    rows: list[dict[str, Any]] = []
    notes: list[str] = []
    for backend in args.backends:
        got, note = backend_rows(backend, args.quick)
        rows += got
        if note:
            notes.append(note)
            print(note, file=sys.stderr)
    text = report(rows, notes, args.quick, time.perf_counter() - start)
    args.out.write_text(text, encoding="utf-8")
    print(text)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
