"""Calibration and prediction inputs: shapes, names, dtypes, empty loaders."""

from __future__ import annotations

import numpy as np
import pytest
from lpot_onnx.adaptor import OnnxAdaptor

from lpot_core.data import DataLoader
from lpot_core.errors import DataError


@pytest.fixture
def adaptor():
    return OnnxAdaptor("onnxrt_qdq")


def test_empty_calibration_loader(adaptor, mnist_fp32):
    with pytest.raises(DataError, match="no samples"):
        adaptor.calibrate(mnist_fp32, [], 10, {"minmax"})


@pytest.mark.parametrize(
    ("inputs", "match"),
    [
        ({"image": np.zeros((2, 1, 28, 28), np.float32)}, r"'image'.*input"),
        (np.zeros((2, 28, 28), np.float32), r"input 'input': expected rank 4"),
        (np.zeros((2, 3, 28, 28), np.float32), r"input 'input': expected shape .*axis 1"),
        (np.full((2, 1, 28, 28), 1e300), r"input 'input': expected dtype float32, got float64"),
        (np.zeros((2, 1, 28, 28), np.complex64), r"expected dtype float32, got complex64"),
        ((np.zeros((2, 1, 28, 28), np.float32),) * 2, r"2 positional inputs .* takes 1"),
    ],
)
def test_mismatched_inputs_name_the_input(adaptor, mnist_fp32, inputs, match):
    with pytest.raises(DataError, match=match) as err:
        adaptor.calibrate(mnist_fp32, [(inputs, None)], 10, {"minmax"})
    assert "\n" not in str(err.value)
    with pytest.raises(DataError, match=match):
        adaptor.predict(mnist_fp32, inputs)


def test_lossless_casts_and_input_forms(adaptor, mnist_fp32, mnist):
    x = mnist[0][:4]
    ref = adaptor.predict(mnist_fp32, x)
    for form in (x.astype(np.float64), (x,), [x], {"input": x}):
        np.testing.assert_allclose(adaptor.predict(mnist_fp32, form), ref, rtol=1e-6)


def test_batch_must_be_a_pair(adaptor, mnist_fp32, mnist):
    with pytest.raises(DataError, match="pair"):
        adaptor.calibrate(mnist_fp32, [mnist[0][:2]], 10, {"minmax"})


def test_sampling_size_bounds_the_samples(adaptor, mnist_fp32, mnist):
    loader = DataLoader.from_arrays(mnist[0][:300], mnist[1][:300], batch_size=64)
    stats = adaptor.calibrate(mnist_fp32, loader, 100, {"minmax"})
    assert stats.samples == 100
