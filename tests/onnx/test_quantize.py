"""Quantizing the real MNIST CNN (and tiny graphs) in each ONNX Runtime format."""

from __future__ import annotations

import logging

import attrs
import numpy as np
import onnx
import pytest
from lpot_onnx.adaptor import OnnxAdaptor
from onnx import numpy_helper
from onnx_models import small_conv_model, top1

from lpot_core.cpu import has_vnni
from lpot_core.space import TuningSpace

CONV1 = "/conv_layers/conv_layers.0/Conv"  # 1 input channel: starts FP32 (slow in INT8)
CONV2 = "/conv_layers/conv_layers.3/Conv"


def _space(adaptor, model, approach="static"):
    return TuningSpace(adaptor.capabilities(model, approach), approach=approach)


def _with_algorithm(cfg, algorithm):
    return cfg.with_ops(
        {
            n: attrs.evolve(c, activation=attrs.evolve(c.activation, algorithm=algorithm))
            for n, c in cfg.ops.items()
            if not c.is_fp32
        }
    )


def _producers(model):
    return {o: n for n in model.proto.graph.node for o in n.output}


def test_capabilities_prefer_uint8_asym_minmax_and_per_channel_convs(mnist_fp32):
    caps = {c.name: c for c in OnnxAdaptor("onnxrt_qdq").capabilities(mnist_fp32, "static")}
    assert [c.type for c in caps.values()].count("Conv") == 3
    conv, gemm = caps[CONV1], caps["/fc_layers/fc_layers.0/Gemm"]
    assert conv.activation.dtype[0] == "uint8" and conv.activation.scheme[0] == "asym"
    assert conv.activation.algorithm == ("minmax", "kl", "percentile")
    assert conv.weight.granularity == ("per_channel", "per_tensor")
    assert gemm.weight.granularity == ("per_tensor", "per_channel")
    assert caps["/conv_layers/conv_layers.2/MaxPool"].weight is None
    # a 1-channel 3x3 conv runs slower in INT8 than FP32: it starts FP32, still tunable
    assert caps[CONV1].prefer_fp32 and not caps[CONV2].prefer_fp32
    assert not gemm.prefer_fp32
    dyn = {c.name: c for c in OnnxAdaptor("onnxrt_integerops").capabilities(mnist_fp32, "dynamic")}
    assert dyn[CONV1].weight.granularity == ("per_tensor",)  # ConvInteger: no per-channel
    assert "/fc_layers/fc_layers.0/Gemm" in dyn  # Gemm -> MatMulInteger
    assert dyn[CONV1].activation.algorithm == ("minmax",)


@pytest.mark.parametrize(
    ("framework", "approach"),
    [("onnxrt_qdq", "static"), ("onnxrt_qlinearops", "static"), ("onnxrt_integerops", "dynamic")],
)
def test_default_int8_keeps_mnist_accuracy(framework, approach, mnist_fp32, calib, evalset):
    adaptor = OnnxAdaptor(framework)
    space = _space(adaptor, mnist_fp32, approach)
    stats = adaptor.calibrate(mnist_fp32, calib, 100, space.algorithms())
    q = adaptor.quantize(mnist_fp32, space.default(), stats)
    fp32, int8 = top1(adaptor, mnist_fp32, evalset), top1(adaptor, q, evalset)
    assert fp32 > 0.98
    assert int8 >= fp32 - 0.01, (framework, fp32, int8)
    assert adaptor.model_size(q) < adaptor.model_size(mnist_fp32) / 2.5


def test_every_algorithm_comes_from_one_calibration(mnist_fp32, calib, evalset):
    adaptor = OnnxAdaptor("onnxrt_qdq")
    space = _space(adaptor, mnist_fp32)
    stats = adaptor.calibrate(mnist_fp32, calib, 100, space.algorithms())
    tensor = "/conv_layers/conv_layers.1/Relu_output_0"
    ranges = {a: stats.range(tensor, a) for a in ("minmax", "kl", "percentile")}
    assert ranges["kl"][1] < ranges["minmax"][1] and ranges["minmax"][0] == 0.0
    fp32 = top1(adaptor, mnist_fp32, evalset)
    for algorithm in ("kl", "percentile"):
        q = adaptor.quantize(mnist_fp32, _with_algorithm(space.default(), algorithm), stats)
        assert top1(adaptor, q, evalset) >= fp32 - 0.01, algorithm


@pytest.mark.parametrize("framework", ["onnxrt_qdq", "onnxrt_qlinearops"])
@pytest.mark.parametrize("dtype", ["uint8", "int8"])
def test_symmetric_activations_keep_the_relus(framework, dtype, mnist_fp32, calib, evalset):
    """ORT drops a Relu after a quantized op when activations are asymmetric (the zero
    point clamps like the Relu); with symmetric ranges it must keep it (top-1 was 0.13)."""
    adaptor = OnnxAdaptor(framework)
    space = _space(adaptor, mnist_fp32)
    stats = adaptor.calibrate(mnist_fp32, calib, 100, space.algorithms())
    sym = space.default()
    sym = sym.with_ops(
        {
            n: attrs.evolve(c, activation=attrs.evolve(c.activation, scheme="sym", dtype=dtype))
            for n, c in sym.ops.items()
            if not c.is_fp32
        }
    )
    q = adaptor.quantize(mnist_fp32, sym, stats)
    assert any(n.op_type == "Relu" for n in q.proto.graph.node)
    assert top1(adaptor, q, evalset) >= top1(adaptor, mnist_fp32, evalset) - 0.02


def test_fallback_leaves_the_op_fp32(mnist_fp32, calib):
    for framework in ("onnxrt_qdq", "onnxrt_qlinearops"):
        adaptor = OnnxAdaptor(framework)
        space = _space(adaptor, mnist_fp32)
        stats = adaptor.calibrate(mnist_fp32, calib, 100, space.algorithms())
        q = adaptor.quantize(mnist_fp32, space.default().fallback([CONV1]), stats)
        conv = next(n for n in q.proto.graph.node if n.name == CONV1)
        assert conv.op_type == "Conv"
        weight = next(i for i in q.proto.graph.initializer if i.name == conv.input[1])
        assert weight.data_type == onnx.TensorProto.FLOAT
        if framework == "onnxrt_qdq":
            producer = _producers(q).get(conv.input[0])
            assert producer is None or producer.op_type != "DequantizeLinear"


def test_weight_granularity_and_reduce_range_are_honoured(mnist_fp32, calib):
    adaptor = OnnxAdaptor("onnxrt_qdq", {"reduce_range": True})
    assert OnnxAdaptor("onnxrt_qdq").reduce_range is (not has_vnni())
    space = _space(adaptor, mnist_fp32)
    stats = adaptor.calibrate(mnist_fp32, calib, 100, space.algorithms())
    default = space.default()
    conv = default.ops[CONV2]
    per_tensor = default.with_ops(
        {CONV2: attrs.evolve(conv, weight=attrs.evolve(conv.weight, granularity="per_tensor"))}
    )
    for cfg, channels in ((default, 64), (per_tensor, 1)):
        q = adaptor.quantize(mnist_fp32, cfg, stats)
        inits = {i.name: numpy_helper.to_array(i) for i in q.proto.graph.initializer}
        dq = next(
            n
            for n in q.proto.graph.node
            if n.op_type == "DequantizeLinear"
            and inits.get(n.input[0]) is not None
            and inits[n.input[0]].ndim == 4
        )
        assert inits[dq.input[1]].size == channels
        assert np.abs(inits[dq.input[0]].astype(np.int32)).max() <= 64  # 7-bit weights


def test_op_ort_cannot_quantize_stays_fp32_and_is_reported(small_inputs, caplog):
    adaptor = OnnxAdaptor("onnxrt_qdq")
    model = adaptor.load(small_conv_model(extra_op="Sin"))
    with caplog.at_level(logging.DEBUG, logger="lpot_onnx"):
        caps = adaptor.capabilities(model, "static")
    assert "odd" not in {c.name for c in caps}
    assert "Sin" in caplog.text
    space = _space(adaptor, model)
    stats = adaptor.calibrate(model, [(small_inputs, None)], 16, space.algorithms())
    q = adaptor.quantize(model, space.default(), stats)
    sin = next(n for n in q.proto.graph.node if n.op_type == "Sin")
    assert _producers(q)[sin.input[0]].op_type == "DequantizeLinear"  # FP32 Sin, fed floats
    ref, out = adaptor.predict(model, small_inputs), adaptor.predict(q, small_inputs)
    assert np.abs(out - ref).max() < 0.1 * np.abs(ref).max()


def test_old_opset_model_is_upgraded_and_quantized(small_inputs):
    adaptor = OnnxAdaptor("onnxrt_qlinearops")
    model = adaptor.load(small_conv_model(opset=9))
    space = _space(adaptor, model)
    stats = adaptor.calibrate(model, [(small_inputs, None)], 16, space.algorithms())
    q = adaptor.quantize(model, space.default(), stats)
    assert "QLinearConv" in {n.op_type for n in q.proto.graph.node}
    ref = adaptor.predict(model, small_inputs)
    assert np.abs(adaptor.predict(q, small_inputs) - ref).max() < 0.1 * np.abs(ref).max()


@pytest.mark.parametrize("framework", ["onnxrt_qdq", "onnxrt_qlinearops"])
def test_inspect_gives_every_op_for_fp32_and_int8(framework, mnist_fp32, calib):
    adaptor = OnnxAdaptor(framework)
    space = _space(adaptor, mnist_fp32)
    stats = adaptor.calibrate(mnist_fp32, calib, 100, space.algorithms())
    cfg = space.default()
    assert cfg.fp32_ops == [CONV1]
    q = adaptor.quantize(mnist_fp32, cfg, stats)
    ops = list(space.ops)
    ref, got = adaptor.inspect(mnist_fp32, calib, ops), adaptor.inspect(q, calib, ops)
    assert set(ref) == set(got) == set(ops)
    errors = {}
    for op in ops:
        assert ref[op].shape == got[op].shape
        errors[op] = float(np.mean((ref[op] - got[op]) ** 2) / np.mean(ref[op] ** 2))
    assert errors[CONV1] == 0  # FP32 and first: exactly the reference
    assert all(err < 0.05 for err in errors.values()), errors
    from_conv2 = ops[ops.index(CONV2) :]  # downstream of the first INT8 conv: quantized
    assert all(errors[op] > 0 for op in from_conv2), errors
