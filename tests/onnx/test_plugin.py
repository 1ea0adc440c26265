"""Discovery through the ``lpot`` entry point, and cheap ``accepts``."""

from __future__ import annotations

import subprocess
import sys

from lpot_onnx.adaptor import OnnxAdaptor

from lpot_core import plugins

NAMES = {"onnxrt_qdq", "onnxrt_qlinearops", "onnxrt_integerops", "onnxruntime"}


def test_entry_point_registers_all_framework_names(tmp_path):
    pm = plugins.get_plugin_manager(load_entrypoints=True)
    found = plugins.adaptors(pm)
    assert set(found) >= NAMES
    assert all(found[n] is OnnxAdaptor for n in NAMES)
    name, cls = plugins.get_adaptor_class(pm, None, tmp_path / "model.onnx")
    assert cls is OnnxAdaptor and name in NAMES


def test_accepts_paths_and_protos_only(mnist_fp32):
    assert OnnxAdaptor.accepts("a/b/model.onnx")
    assert OnnxAdaptor.accepts(mnist_fp32)  # the adaptor's own model type
    assert OnnxAdaptor.accepts(mnist_fp32.proto)  # onnx.ModelProto
    assert not OnnxAdaptor.accepts("model.pt")
    assert not OnnxAdaptor.accepts(object())


def test_plugin_import_does_not_import_onnx():
    code = (
        "import sys, lpot_onnx.plugin, lpot_onnx; "
        "from lpot_core import plugins; plugins.adaptors(plugins.get_plugin_manager()); "
        "assert 'onnx' not in sys.modules and 'onnxruntime' not in sys.modules, "
        "sorted(m for m in sys.modules if m.startswith('onnx'))"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
