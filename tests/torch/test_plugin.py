"""lpot finds the PyTorch backend through its entry point, without importing torch early."""

from __future__ import annotations

import subprocess
import sys

from lpot_core import plugins


def test_entry_point_registers_both_adaptors(pm, mnist_cnn):
    found = plugins.adaptors(pm)
    assert {"pytorch", "pytorch_dynamic"} <= set(found)
    name, cls = plugins.get_adaptor_class(pm, None, mnist_cnn)
    assert name == "pytorch" and cls is found["pytorch"]
    assert "dynamic" in found["pytorch_dynamic"].approaches


def test_accepts_modules_only(pm, mnist_cnn):
    cls = plugins.adaptors(pm)["pytorch"]
    assert cls.accepts(mnist_cnn)
    assert not cls.accepts("model.onnx")
    assert not cls.accepts(object())


def test_plugin_and_accepts_do_not_import_torch():
    code = (
        "import sys; from lpot_core import plugins; pm = plugins.get_plugin_manager(); "
        "cls = plugins.adaptors(pm)['pytorch']; assert not cls.accepts([1, 2]); "
        "assert 'torch' not in sys.modules, 'torch imported'; print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "ok"
