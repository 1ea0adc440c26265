"""Built-in metrics against values computed by hand or by independent numpy formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lpot_core.errors import ConfigError, DataError
from lpot_core.metrics import (
    F1,
    MAE,
    MCC,
    MSE,
    RMSE,
    Accuracy,
    Loss,
    Metric,
    Pearson,
    TopK,
    build_metric,
)
from lpot_core.plugins import get_plugin_manager, metrics

LOGITS = np.array(
    [
        [0.1, 0.5, 0.4],  # label 2 ranks 2nd
        [0.3, 0.3, 0.4],  # label 1 ties with class 0, which ranks first: 3rd
        [0.9, 0.05, 0.05],
    ]
)  # label 0 ranks 1st
LABELS = np.array([2, 1, 0])


@pytest.mark.parametrize(("k", "expected"), [(1, 1 / 3), (2, 2 / 3), (3, 1.0)])
def test_topk_hand_computed(k: int, expected: float) -> None:
    m = TopK(k)
    m.update(LOGITS, LABELS)
    assert m.result() == pytest.approx(expected)


def test_topk_one_hot_labels_tuple_outputs_and_streaming() -> None:
    m = TopK(2)
    one_hot = np.eye(3)[LABELS]
    m.update((LOGITS[:2], np.zeros(7)), one_hot[:2])  # tuple: first output is used
    m.update([LOGITS[2:]], [0])  # onnxruntime-style list of outputs, python labels
    assert m.result() == pytest.approx(2 / 3)
    m.reset()
    m.update(LOGITS[2:], [0])
    assert m.result() == 1.0


def test_top1_agrees_with_argmax_accuracy_under_ties() -> None:
    rng = np.random.default_rng(0)
    logits = rng.integers(0, 3, size=(200, 5))  # int8-like scores: many ties
    labels = rng.integers(0, 5, size=200)
    top1, acc = TopK(1), Accuracy()
    top1.update(logits, labels)
    acc.update(logits, labels)
    expected = float(np.mean(logits.argmax(axis=1) == labels))
    assert top1.result() == pytest.approx(expected)
    assert acc.result() == pytest.approx(expected)


def test_topk_rejects_bad_labels_and_k() -> None:
    m = TopK(1)
    with pytest.raises(DataError, match="label 3 is outside the 3"):
        m.update(LOGITS, [0, 1, 3])
    with pytest.raises(DataError, match="3 prediction rows but 2 labels"):
        m.update(LOGITS, [0, 1])
    with pytest.raises(ConfigError, match="positive integer"):
        TopK(0)
    with pytest.raises(DataError, match="before any update"):
        TopK(1).result()


def test_accuracy_modes() -> None:
    m = Accuracy()
    m.update(np.array([2, 1, 0, 0]), np.array([2, 0, 0, 1]))  # class indices: 2 of 4
    assert m.result() == 0.5
    m.reset()
    m.update(np.array([[1, 0, 1], [0, 1, 1]]), np.array([[1, 0, 0], [0, 1, 1]]))  # multilabel
    assert m.result() == pytest.approx(5 / 6)
    m.reset()
    m.update(np.array([0.2, 0.7, 0.5, 0.4]), [0, 1, 0, 0])  # probabilities -> [0, 1, 1, 0]
    assert m.result() == 0.75
    m.reset()
    m.update(LOGITS, np.eye(3)[LABELS])  # logits with one-hot labels: argmax both
    assert m.result() == pytest.approx(1 / 3)


def test_loss_weights_batches_by_size() -> None:
    m = Loss()
    assert m.higher_is_better is False
    m.update(np.array([1.0, 2.0, 3.0]), [0, 0, 0])
    m.update(np.array([4.0]), [0])
    assert m.result() == pytest.approx(10 / 4)
    m.reset()
    m.update(np.float32(2.0), [0, 0, 0])  # per-batch mean loss over 3 samples
    m.update(np.float32(4.0), [0])
    assert m.result() == pytest.approx((2 * 3 + 4) / 4)


def test_error_metrics_hand_computed() -> None:
    preds, labels = np.array([1.0, 2.0, 3.0, 4.0]), np.array([1, 3, 1, 8])
    # differences 0, -1, 2, -4: |d| sums to 7, d^2 to 21
    for cls, expected in ((MAE, 7 / 4), (MSE, 21 / 4), (RMSE, math.sqrt(21 / 4))):
        m = cls()
        assert m.higher_is_better is False and m.compare_label is True
        m.update(preds[:1], labels[:1])
        m.update(preds[1:].reshape(3, 1), labels[1:])  # [N, 1] vs [N] is fine
        assert m.result() == pytest.approx(expected)
    assert MSE(compare_label=False).compare_label is False
    with pytest.raises(DataError, match="4 values"):
        MAE().update(preds, labels[:3])


BIN_P = np.array([1, 1, 0, 1, 0, 0])
BIN_L = np.array([1, 0, 0, 1, 1, 0])  # tp=2 fp=1 fn=1 tn=2


def test_f1_binary_and_macro() -> None:
    m = F1()
    m.update(BIN_P[:4], BIN_L[:4])
    m.update(BIN_P[4:], BIN_L[4:])
    assert m.result() == pytest.approx(2 * 2 / (2 * 2 + 1 + 1))
    # per class: c0 tp1 fp1 fn1 -> 1/2; c1 tp2 fp1 fn0 -> 4/5; c2 tp1 fp0 fn1 -> 2/3
    macro = F1()
    macro.update(np.eye(3)[[0, 1, 1, 1, 2, 0]] * 0.9, [0, 0, 1, 1, 2, 2])  # scores -> argmax
    assert macro.result() == pytest.approx((1 / 2 + 4 / 5 + 2 / 3) / 3)
    with pytest.raises(ConfigError, match="average"):
        F1(average="weighted")


def _mcc_reference(p: np.ndarray, lab: np.ndarray, k: int) -> float:
    """Gorodkin's R_K as a correlation of one-hot matrices (independent of the code)."""
    x, y = np.eye(k)[p], np.eye(k)[lab]
    xc, yc = x - x.mean(axis=0), y - y.mean(axis=0)
    return float((xc * yc).sum() / math.sqrt((xc * xc).sum() * (yc * yc).sum()))


def test_mcc_binary_multiclass_and_degenerate() -> None:
    m = MCC()
    m.update(BIN_P, BIN_L)
    assert m.result() == pytest.approx((2 * 2 - 1 * 1) / math.sqrt(3 * 3 * 3 * 3))
    rng = np.random.default_rng(1)
    lab = rng.integers(0, 4, 300)
    p = np.where(rng.random(300) < 0.6, lab, rng.integers(0, 4, 300))
    m.reset()
    for start in range(0, 300, 64):
        m.update(p[start : start + 64], lab[start : start + 64])
    assert m.result() == pytest.approx(_mcc_reference(p, lab, 4))
    m.reset()
    m.update(np.zeros(5, dtype=int), [0, 1, 0, 1, 1])  # constant predictions
    assert m.result() == 0.0


def test_pearson_streams_stably() -> None:
    rng = np.random.default_rng(2)
    x = 1e8 + rng.normal(size=1000)  # a large offset breaks naive sums of squares
    y = 0.5 * (x - 1e8) + rng.normal(scale=0.5, size=1000)
    m = Pearson()
    for start, stop in ((0, 1), (1, 300), (300, 1000)):
        m.update(x[start:stop].reshape(-1, 1), y[start:stop])
    assert m.result() == pytest.approx(np.corrcoef(x - 1e8, y)[0, 1], abs=1e-9)
    m.reset()
    m.update(np.ones(4), [1.0, 2.0, 3.0, 4.0])
    assert m.result() == 0.0


def test_build_metric_params_and_errors() -> None:
    registry = metrics(get_plugin_manager())
    assert isinstance(build_metric("topk", 5, registry), TopK)
    assert build_metric("topk", 5, registry).k == 5
    assert build_metric("topk", {"k": 3}, registry).k == 3
    assert build_metric("topk", None, registry).k == 1
    assert isinstance(build_metric("Accuracy", {}, registry), Accuracy)
    assert build_metric("MSE", {"compare_label": False}, registry).compare_label is False
    with pytest.raises(ConfigError, match="did you mean 'topk'"):
        build_metric("top-k", 1, registry)
    with pytest.raises(ConfigError, match="did you mean 'Accuracy'"):
        build_metric("acuracy", None, registry)
    with pytest.raises(ConfigError, match=r"accepts: k=1"):
        build_metric("topk", {"kk": 1}, registry)
    with pytest.raises(ConfigError, match="no parameters"):
        build_metric("Accuracy", 3, registry)


def test_every_registered_builtin_is_a_metric() -> None:
    registry = metrics(get_plugin_manager())
    for name in ("topk", "Accuracy", "Loss", "MAE", "MSE", "RMSE", "F1", "MCC", "Pearson"):
        assert isinstance(build_metric(name, None, registry), Metric), name
