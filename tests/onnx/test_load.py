"""Loading: copies, checks, names, corrupt/truncated files and external data."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from lpot_onnx.adaptor import OnnxAdaptor
from onnx_models import small_conv_model

from lpot_core.errors import ConfigError, ModelError


def test_proto_is_copied_and_unnamed_nodes_get_stable_names(small_inputs):
    model = small_conv_model()
    before = model.SerializeToString()
    adaptor = OnnxAdaptor("onnxrt_qdq", {"preprocess": False})
    loaded = adaptor.load(model)
    assert model.SerializeToString() == before  # the user's proto is untouched
    names = [n.name for n in loaded.proto.graph.node]
    assert all(names) and len(set(names)) == len(names)
    assert names == [n.name for n in adaptor.load(model).proto.graph.node]  # stable
    assert adaptor.predict(loaded, small_inputs).shape == (16, 4)


def test_corrupt_file_is_a_one_line_model_error(tmp_path):
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\x08\x07garbage that is not protobuf \xff\xfe" * 10)
    with pytest.raises(ModelError, match="not a valid ONNX") as err:
        OnnxAdaptor().load(bad)
    assert "\n" not in str(err.value)


def test_truncated_file_is_a_model_error(tmp_path, mnist_path):
    data = mnist_path.read_bytes()
    cut = tmp_path / "cut.onnx"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelError) as err:
        OnnxAdaptor().load(cut)
    assert "\n" not in str(err.value) and "cut.onnx" in str(err.value)


def test_missing_file_is_a_model_error(tmp_path):
    with pytest.raises(ModelError, match="does not exist"):
        OnnxAdaptor().load(tmp_path / "nope.onnx")
    with pytest.raises(ModelError, match="is a folder; give the .onnx file inside it"):
        OnnxAdaptor().load(tmp_path)


def _save_external(tmp_path):
    path = tmp_path / "ext.onnx"
    onnx.save_model(
        small_conv_model(),
        str(path),
        save_as_external_data=True,
        all_tensors_to_one_file=True,
        location="ext.weights",
        size_threshold=0,
    )
    return path


def test_external_data_next_to_the_model_is_loaded(tmp_path, small_inputs):
    path = _save_external(tmp_path)
    adaptor = OnnxAdaptor("onnxrt_qdq", {"preprocess": False})
    ref = adaptor.predict(adaptor.load(small_conv_model()), small_inputs)
    np.testing.assert_allclose(adaptor.predict(adaptor.load(path), small_inputs), ref, rtol=1e-6)


def test_missing_external_data_names_the_file(tmp_path):
    path = _save_external(tmp_path)
    (tmp_path / "ext.weights").unlink()
    with pytest.raises(ModelError, match="ext.weights") as err:
        OnnxAdaptor().load(path)
    assert "\n" not in str(err.value)


def test_invalid_graph_is_a_model_error():
    model = small_conv_model()
    model.graph.node[0].input[1] = "no_such_weight"
    with pytest.raises(ModelError, match="not a valid ONNX model"):
        OnnxAdaptor().load(model)


def test_save_writes_onnx_suffix_and_roundtrips(tmp_path, mnist_fp32, mnist):
    adaptor = OnnxAdaptor()
    path = adaptor.save(mnist_fp32, tmp_path / "sub" / "model.bin")
    assert path.suffix == ".onnx" and path.is_file()
    x = mnist[0][:8]
    np.testing.assert_array_equal(
        adaptor.predict(adaptor.load(path), x), adaptor.predict(mnist_fp32, x)
    )
    assert adaptor.model_size(mnist_fp32) == path.stat().st_size


def test_misspelled_option_names_the_nearest_one():
    with pytest.raises(ConfigError, match=r"unknown key 'intra_op_threads' \(did you mean 'intra"):
        OnnxAdaptor("onnxrt_qdq", {"intra_op_threads": 1})
    with pytest.raises(ConfigError, match=r"intra_op_num_threads: -3 is not a thread count"):
        OnnxAdaptor("onnxrt_qdq", {"intra_op_num_threads": -3})
