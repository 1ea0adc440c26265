"""ONNX exports of the zoo's torch models, cached by content in the zoo cache.

Each export is opset 17, a single self-contained file (no external data), one input
named ``"input"`` and one output named ``"output"``, with a dynamic batch axis.
The cache key covers the weights, the zoo sources, the export settings and the torch
version, so a changed weight file, model code or exporter gives a new file, never a
stale one. Constant chains the TorchScript exporter leaves are folded (``onnx_fold``).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ._cache import build_once, cache_dir, digest

if TYPE_CHECKING:
    import torch

OPSET = 17
_EXPORT_RECIPE = "v2"  # the zoo's own sources are hashed into the key too
log = logging.getLogger(__name__)


def export_onnx(
    name: str,
    make_model: Callable[[], torch.nn.Module],
    examples: dict[str, np.ndarray],
    weights: list[Path],
    dynamic: dict[str, dict[int, str]] | None = None,
) -> Path:
    """Export ``make_model()`` to ``<cache>/onnx/<name>-<key>.onnx`` once and return the path.

    ``examples`` maps input names to example arrays (batch first) in ``forward`` order;
    ``dynamic`` names the dynamic axes per input (default: axis 0 ``batch``; the
    output ``output`` always has a dynamic batch); ``weights`` are the files whose
    content keys the cache.
    """
    import torch

    sources = sorted(Path(__file__).parent.glob("*.py"))  # model code changes -> new key
    key = digest(name, _EXPORT_RECIPE, str(OPSET), torch.__version__, *weights, *sources)
    dest = cache_dir() / "onnx" / f"{name}-{key}.onnx"
    axes = dynamic or {k: {0: "batch"} for k in examples}

    def build(tmp: Path) -> None:
        import onnx

        from .onnx_fold import fold_constants

        model = make_model().eval()
        args = tuple(torch.from_numpy(v) for v in examples.values())
        log.info("exporting %s to ONNX (opset %d)", name, OPSET)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            common = dict(input_names=list(examples), output_names=["output"], opset_version=OPSET)
            try:  # the TorchScript exporter: plain, well-known graphs
                torch.onnx.export(
                    model,
                    args,
                    str(tmp),
                    dynamic_axes={**axes, "output": {0: "batch"}},
                    dynamo=False,
                    **common,
                )
            except (TypeError, RuntimeError, NotImplementedError) as exc:  # removed some day
                log.warning("TorchScript ONNX export failed (%s); using the dynamo exporter", exc)
                dims = {a: torch.export.Dim(a, min=1) for ax in axes.values() for a in ax.values()}
                shapes = tuple({i: dims[a] for i, a in axes.get(k, {}).items()} for k in examples)
                torch.onnx.export(
                    model,
                    args,
                    str(tmp),
                    dynamic_shapes=shapes,
                    dynamo=True,
                    external_data=False,
                    **common,
                )
        onnx.save(fold_constants(onnx.load(str(tmp))), str(tmp))
        _check_single_file(tmp)

    return build_once(dest, build)


def _image(shape: tuple[int, ...]) -> dict[str, np.ndarray]:
    return {"input": np.zeros(shape, dtype=np.float32)}


def _check_single_file(path: Path) -> None:
    """Fail if the exported model refers to external data files."""
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    external = [
        t.name for t in model.graph.initializer if t.data_location == onnx.TensorProto.EXTERNAL
    ]
    if external:
        raise RuntimeError(f"ONNX export of {path.name} has external data: {external[:3]}")
    onnx.checker.check_model(model)


def mnist_cnn_onnx() -> Path:
    """ONNX file of ``mnist_cnn()``; input float32 ``[N,1,28,28]`` named ``input``."""
    from .mnist import mnist_cnn, mnist_cnn_weights

    return export_onnx("mnist_cnn", mnist_cnn, _image((1, 1, 28, 28)), [mnist_cnn_weights()])


def efficientnet_lite0_onnx() -> Path:
    """ONNX file of ``efficientnet_lite0()``; input float32 ``[N,3,224,224]`` named ``input``."""
    from .imagenet import efficientnet_lite0, efficientnet_lite0_weights

    return export_onnx(
        "efficientnet_lite0",
        efficientnet_lite0,
        _image((1, 3, 224, 224)),
        [efficientnet_lite0_weights()],
    )


def fashion_cnn_onnx() -> Path:
    """ONNX file of ``fashion_cnn()``; input float32 ``[N,1,28,28]`` named ``input``."""
    from .fashion import WEIGHTS, fashion_cnn

    return export_onnx("fashion_cnn", fashion_cnn, _image((1, 1, 28, 28)), [WEIGHTS])


def spam_classifier_onnx() -> Path:
    """ONNX file of ``spam_classifier()``: inputs ``input_ids``, ``attention_mask`` (int64
    ``[N,L]``, dynamic batch and length), output ``[N,2]`` logits.
    """
    from .minilm import minilm_dir, minilm_inputs
    from .spam import HEAD_WEIGHTS, spam_classifier

    ids, mask = minilm_inputs(["Win a free cruise now!", "Meeting moved to 3pm."])
    axes = {"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"}}
    weights = [minilm_dir() / "model.safetensors", HEAD_WEIGHTS]
    return export_onnx(
        "spam_classifier",
        spam_classifier,
        {"input_ids": ids, "attention_mask": mask},
        weights,
        axes,
    )
