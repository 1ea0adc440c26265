"""The numpy reference backend: real INT8 arithmetic, calibration, persistence, contract."""

from __future__ import annotations

import numpy as np
import pytest

from lpot_core import plugins
from lpot_core.errors import ModelError
from lpot_core.space import TuningSpace
from lpot_core.testing import numpy_adaptor
from lpot_core.testing.calibration import (
    TensorStats,
    activation_qparams,
    fake_quant,
    fake_quant_weight,
)
from lpot_core.testing.contracts import AdaptorContract
from lpot_core.testing.driver import ArrayLoader, Top1
from lpot_core.testing.models import make_large_space_model, make_sensitive_model
from lpot_core.testing.numpy_adaptor import NumpyAdaptor, NumpyModel


class TestNumpyAdaptorContract(AdaptorContract):
    @pytest.fixture
    def adaptor(self):
        return NumpyAdaptor("numpy")

    @pytest.fixture
    def model(self):
        return make_sensitive_model(1, n_samples=64)[0]

    @pytest.fixture
    def dataloader(self):
        _, x, y = make_sensitive_model(1, n_samples=64)
        return ArrayLoader(x, y, batch_size=16)

    @pytest.fixture
    def metric(self):
        return Top1()


def test_registered_as_numpy():
    pm = plugins.get_plugin_manager(load_entrypoints=False)
    pm.register(numpy_adaptor)
    assert plugins.adaptors(pm)["numpy"] is NumpyAdaptor
    model = make_sensitive_model(0, n_samples=8)[0]
    assert plugins.get_adaptor_class(pm, None, model) == ("numpy", NumpyAdaptor)


def test_histogram_grows_exactly_and_bounds_memory():
    rng = np.random.default_rng(0)
    stats = TensorStats(bins=256)
    batches = [rng.normal(0, 1, 1000), rng.normal(0, 10, 1000), rng.normal(0, 100, 1000)]
    for b in batches:
        stats.update(b)
    allx = np.concatenate(batches)
    assert stats.hist.size == 256 and stats.hist.sum() == allx.size
    assert stats.hi >= np.abs(allx).max()
    assert stats.range("minmax") == pytest.approx((allx.min(), allx.max()))
    # the histogram still places values correctly after two re-binnings
    width = stats.hi / 256
    below = np.searchsorted(np.sort(np.abs(allx)), width * 10)
    assert stats.hist[:10].sum() == below


def test_percentile_and_kl_clip_a_rare_outlier():
    rng = np.random.default_rng(1)
    stats = TensorStats()
    stats.update(np.maximum(rng.normal(0, 1, 50_000), 0))
    stats.update(np.array([80.0]))
    lo, hi_minmax = stats.range("minmax")
    assert (lo, hi_minmax) == (0.0, 80.0)
    assert 3.0 < stats.range("percentile")[1] < 6.0
    assert 2.0 < stats.range("kl")[1] < 10.0


@pytest.mark.parametrize(
    "dtype,scheme", [("uint8", "asym"), ("int8", "asym"), ("int8", "sym"), ("uint8", "sym")]
)
def test_activation_fake_quant_error_is_half_a_step(dtype, scheme):
    x = np.linspace(-1.0, 3.0, 1001).astype(np.float32)
    scale, zero, qmin, qmax = activation_qparams(-1.0, 3.0, dtype, scheme)
    y = fake_quant(x, scale, zero, qmin, qmax)
    inside = (x >= (qmin - zero) * scale) & (x <= (qmax - zero) * scale)
    assert np.abs(y - x)[inside].max() <= scale / 2 + 1e-6
    assert len(np.unique(y)) <= qmax - qmin + 1
    assert np.allclose(fake_quant(np.zeros(1, np.float32), scale, zero, qmin, qmax), 0.0)


@pytest.mark.parametrize("granularity", ["per_channel", "per_tensor"])
@pytest.mark.parametrize("scheme", ["sym", "asym"])
def test_weight_fake_quant_uses_an_int8_grid(scheme, granularity):
    w = np.random.default_rng(2).normal(0, 1, (16, 8)).astype(np.float32)
    w[:, 3] *= 50  # per-channel must keep the other columns' resolution
    q = fake_quant_weight(w, scheme, granularity)
    axis = 0 if granularity == "per_channel" else None
    steps = (np.ptp(w, axis=axis) if scheme == "asym" else 2 * np.abs(w).max(axis=axis)) / 254
    assert np.all(np.abs(q - w) <= steps * 0.51 + 1e-6)
    if granularity == "per_channel":
        assert np.abs(q[:, 0] - w[:, 0]).max() < np.abs(w[:, 0]).max() / 100
    for col in range(w.shape[1]):
        assert len(np.unique(q[:, col])) <= 16


def test_calibrate_once_then_quantize_many_without_data():
    model, x, y = make_sensitive_model(0, n_samples=128)
    adaptor = NumpyAdaptor("numpy")
    NumpyAdaptor.reset_counts()
    space = TuningSpace(adaptor.capabilities(model, "static"), sampling_sizes=(64,))
    stats = adaptor.calibrate(model, ArrayLoader(x, y, 32), 64, space.algorithms())
    default = space.default()
    outputs = [
        adaptor.predict(adaptor.quantize(model, cfg, stats), x)
        for cfg in [default, *space.model_wise_variants(default)]
    ]
    assert NumpyAdaptor.counts["calibrate"] == 1
    assert NumpyAdaptor.counts["quantize"] == len(outputs) == 7
    # uint8/int8 asym share one grid, and 99.99% of 2048 values is the max: 5 models
    assert len({o.tobytes() for o in outputs}) >= 5
    assert all(la.act_q is None for la in model.layers), "the FP32 model was modified"


def test_quantize_rejects_unknown_ops():
    model, x, y = make_sensitive_model(0, n_samples=32)
    adaptor = NumpyAdaptor("numpy")
    space = TuningSpace(adaptor.capabilities(model, "static"))
    stats = adaptor.calibrate(model, ArrayLoader(x, y), 32, {"minmax"})
    bad = space.default().with_ops({"nope": space.default().ops["fc1"]})
    with pytest.raises(ModelError, match="nope"):
        adaptor.quantize(model, bad, stats)


def test_npz_path_is_accepted_and_loaded(tmp_path):
    model, x, _ = make_sensitive_model(0, n_samples=16)
    adaptor = NumpyAdaptor("numpy")
    path = adaptor.save(model, tmp_path / "m")
    assert path.suffix == ".npz" and NumpyAdaptor.accepts(path) and NumpyAdaptor.accepts(str(path))
    assert not NumpyAdaptor.accepts(tmp_path / "missing.npz")
    assert not NumpyAdaptor.accepts([1, 2])
    np.testing.assert_array_equal(adaptor.load(path)(x), model(x))
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(ModelError):
        adaptor.load(tmp_path / "junk.npz")


def test_inputs_may_be_tuples_or_dicts():
    model, x, _ = make_sensitive_model(0, n_samples=16)
    adaptor = NumpyAdaptor("numpy")
    ref = adaptor.predict(model, x)
    np.testing.assert_array_equal(adaptor.predict(model, (x,)), ref)
    np.testing.assert_array_equal(adaptor.predict(model, {"input": x}), ref)


def test_sensitive_model_labels_are_its_own_argmax():
    model, x, y = make_sensitive_model(3, n_samples=100)
    assert x.shape == (100, 16) and isinstance(model, NumpyModel)
    assert (model(x).argmax(axis=1) == y).all()
    with pytest.raises(ValueError, match="fc9"):
        make_sensitive_model(0, sensitive=("fc9",))


def test_large_space_model_stays_finite():
    model, x, y = make_large_space_model(n_ops=500)
    assert len(model.layers) == 500
    out = model(x)
    assert np.isfinite(out).all() and 0.1 < np.abs(out).max() < 1e3
    assert y.shape == (len(x),)
