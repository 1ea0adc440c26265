"""Static PT2E INT8 on the pretrained MNIST CNN and real digits."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import top1
from lpot_torch.adaptor import TorchAdaptor

from lpot_core.data import DataLoader
from lpot_core.space import TuningSpace

QDQ = "quantized_decomposed"


@pytest.fixture(scope="module")
def setup(mnist, mnist_cnn):
    """(adaptor, loaded model, calibration stats, space, calib loader, eval loader)."""
    x, y = mnist
    calib = DataLoader.from_arrays(x[:100], y[:100], batch_size=50)
    evalset = DataLoader.from_arrays(x[1000:1600], y[1000:1600], batch_size=200)
    adaptor = TorchAdaptor("pytorch", {})
    model = adaptor.load(mnist_cnn)
    stats = adaptor.calibrate(model, calib, 100, {"minmax", "kl", "percentile"})
    space = TuningSpace(adaptor.capabilities(model, "static"), sampling_sizes=[100])
    return adaptor, model, stats, space, calib, evalset


def test_capabilities_name_ops_by_module(setup):
    adaptor, model, _, space, _, _ = setup
    caps = {c.name: c for c in adaptor.capabilities(model, "static")}
    assert list(caps) == [
        "conv_layers.0",
        "conv_layers.2",
        "conv_layers.3",
        "conv_layers.5",
        "conv_layers.6",
        "conv_layers.8",
        "flatten",
        "fc_layers.0",
        "fc_layers.2",
    ]
    assert caps["conv_layers.0"].type == "Conv2d" and caps["fc_layers.2"].type == "Linear"
    assert caps["conv_layers.2"].type == "MaxPool2d" and caps["conv_layers.2"].weight is None
    assert caps["fc_layers.0"].weight.granularity == ("per_channel", "per_tensor")
    assert caps["conv_layers.0"].activation.dtype == ("uint8",)
    assert space.algorithms() == {"minmax", "kl", "percentile"}


def test_calibration_records_every_tensor_once(setup):
    _, _, stats, _, _, _ = setup
    assert stats.samples == 100 and stats.histograms
    assert {"x", "conv2d", "relu", "linear_1"} <= set(stats.tensors)
    assert stats.tensors["relu"]["min"] == 0.0 and stats.tensors["relu"]["max"] > 0


def test_default_int8_keeps_accuracy_and_runs_int8_kernels(setup):
    adaptor, model, stats, space, _, evalset = setup
    q = adaptor.quantize(model, space.default(), stats)
    fp32, int8 = top1(adaptor, model, evalset), top1(adaptor, q, evalset)
    assert fp32 >= 0.98
    assert int8 >= fp32 - 0.01
    # all but the 256x10 head, which starts FP32 (faster than INT8 at that size)
    assert len(q.quantized_ops) == 8 and "fc_layers.2" not in q.quantized_ops
    lowered = adaptor.user_model(q)
    targets = {str(n.target) for n in lowered.graph.nodes}
    assert any("onednn.qconv" in t for t in targets) and any("qlinear" in t for t in targets)
    # the reference graph (what is saved) and the INT8 kernels agree on the predictions
    x = torch.from_numpy(next(iter(evalset))[0])
    with torch.no_grad():
        ref, low = q.reference(x), lowered(x)
    assert (ref.argmax(1) == low.argmax(1)).float().mean() >= 0.99


def test_fallback_ops_stay_fp32(setup):
    adaptor, model, stats, space, _, _ = setup
    q = adaptor.quantize(model, space.default().fallback(["conv_layers.0", "fc_layers.2"]), stats)
    assert "conv_layers.0" not in q.quantized_ops and "fc_layers.2" not in q.quantized_ops
    assert "conv_layers.3" in q.quantized_ops and "conv_layers.5" in q.quantized_ops
    graph = q.reference.graph
    first_conv = next(n for n in graph.nodes if n.name == "conv2d")
    assert first_conv.args[0].op == "placeholder"  # float input, no dequantize in front
    last = next(n for n in graph.nodes if n.name == "linear_1")
    assert QDQ not in str(last.args[0].target) and QDQ not in str(last.args[1].target)


def test_algorithms_derive_different_scales_from_one_calibration(setup):
    adaptor, model, stats, space, _, _ = setup
    scales = {}
    for algorithm in ("minmax", "kl", "percentile"):
        base = space.default()
        ops = {}
        for name, choice in base.ops.items():
            if choice.is_fp32:
                continue
            wanted = [
                c
                for c in space.choices[name]
                if not c.is_fp32
                and c.activation.algorithm == algorithm
                and c.weight == choice.weight
            ]
            ops[name] = wanted[0]
        q = adaptor.quantize(model, base.with_ops(ops), stats)
        scales[algorithm] = np.array(
            [n.args[1] for n in q.reference.graph.nodes if "quantize_per_tensor" in str(n.target)]
        )
    # percentile clips outliers: never a wider range than min/max, narrower somewhere
    assert np.all(scales["percentile"] <= scales["minmax"] + 1e-12)
    assert np.any(scales["percentile"] < scales["minmax"] * 0.999)
    assert not np.allclose(scales["kl"], scales["minmax"])


def test_compiled_int8_matches_and_recompiles_with_freezing(setup):
    """The form latency is measured on: inductor with freezing. A call with a new thread
    count fails dynamo's guards; the recompile must run with freezing on too (without it
    the INT8 graph does not compile), and calls that match skip the config patch."""
    adaptor, model, stats, space, _, evalset = setup
    q = adaptor.quantize(model, space.default(), stats)
    compiled = adaptor.fast_module(q)
    x = torch.from_numpy(next(iter(evalset))[0][:32])
    threads = torch.get_num_threads()
    try:
        with torch.no_grad():
            lowered = adaptor.user_model(q)(x)
            first = compiled(x)
            torch.set_num_threads(1 if threads > 1 else 2)
            again = compiled(x)
            compiled(x)
    finally:
        torch.set_num_threads(threads)
    assert (first.argmax(1) == lowered.argmax(1)).float().mean() >= 0.99
    torch.testing.assert_close(first, again)
    assert [len(states) for states in compiled._compiled_for.values()] == [2]


def test_inspect_gives_op_outputs_of_fp32_and_int8(setup):
    adaptor, model, stats, space, calib, _ = setup
    q = adaptor.quantize(model, space.default(), stats)
    ops = ["conv_layers.3", "flatten", "fc_layers.2"]
    ref, got = adaptor.inspect(model, calib, ops), adaptor.inspect(q, calib, ops)
    assert set(ref) == set(got) == set(ops)
    assert ref["conv_layers.3"].shape == got["conv_layers.3"].shape == (50, 64, 14, 14)
    for name in ops:
        nmse = np.mean((ref[name] - got[name]) ** 2) / np.mean(ref[name] ** 2)
        assert 0 < nmse < 0.01, name


def test_save_reload_runs_the_same(setup, tmp_path):
    adaptor, model, stats, space, _, evalset = setup
    q = adaptor.quantize(model, space.default(), stats)
    path = adaptor.save(q, tmp_path / "mnist_int8")
    assert path.suffix == ".pt2" and path.stat().st_size < 1_000_000
    from lpot_torch import load_quantized

    reloaded = load_quantized(path)
    x = torch.from_numpy(next(iter(evalset))[0][:37])  # another batch size than calibration
    with torch.no_grad():
        np.testing.assert_allclose(reloaded(x).numpy(), q.reference(x).numpy(), atol=1e-5)
    fp32_path = adaptor.save(model, tmp_path / "fp32")
    assert fp32_path.suffix == ".pt"


def test_user_model_is_never_mutated(mnist, mnist_cnn):
    before = {k: v.clone() for k, v in mnist_cnn.state_dict().items()}
    mnist_cnn.train()
    adaptor = TorchAdaptor("pytorch", {})
    x, y = mnist
    model = adaptor.load(mnist_cnn)
    assert mnist_cnn.training and not model.module.training
    mnist_cnn.eval()
    adaptor.calibrate(model, DataLoader.from_arrays(x[:8], y[:8], batch_size=8), 8, {"minmax"})
    for k, v in mnist_cnn.state_dict().items():
        assert torch.equal(v, before[k])
