"""Batches as arrays, tuples and dicts; clear errors for models and data that do not fit."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from lpot_torch.adaptor import DEFAULT_CHOICE, TorchAdaptor
from torch import nn

from lpot_core.data import DataLoader
from lpot_core.errors import ConfigError, DataError, ModelError
from lpot_core.space import TuningSpace


class TwoInputs(nn.Module):
    """A conv branch and a linear branch, joined: inputs by position or by name."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.conv = nn.Conv2d(3, 8, 3)
        self.fc = nn.Linear(4, 8)
        self.head = nn.Linear(16, 3)

    def forward(self, image: torch.Tensor, extra: torch.Tensor) -> torch.Tensor:
        a = torch.relu(self.conv(image)).mean((2, 3))
        return self.head(torch.cat([a, torch.relu(self.fc(extra))], 1))


class DataDependent(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.sum() > 0:  # a Python branch on a tensor value: export cannot capture it
            return self.fc(x)
        return -x


def _data(n: int = 24) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return (
        rng.standard_normal((n, 3, 10, 10)).astype(np.float32),
        rng.standard_normal((n, 4)).astype(np.float32),
        rng.integers(0, 3, n),
    )


@pytest.mark.parametrize("form", ["tuple", "dict"])
def test_tuple_and_dict_batches_quantize_and_predict(form):
    image, extra, y = _data()
    inputs = (image, extra) if form == "tuple" else {"image": image, "extra": extra}
    loader = DataLoader.from_arrays(inputs, y, batch_size=8)
    adaptor = TorchAdaptor("pytorch", {})
    model = adaptor.load(TwoInputs())
    stats = adaptor.calibrate(model, loader, 16, {"minmax"})
    assert stats.samples == 16
    space = TuningSpace(adaptor.capabilities(model, "static"), sampling_sizes=[16])
    assert {"conv", "fc", "head"} <= set(space.ops)
    q = adaptor.quantize(model, space.default(), stats)
    batch = next(iter(loader))[0]
    ref, got = adaptor.predict(model, batch), adaptor.predict(q, batch)
    assert got.shape == ref.shape == (8, 3)
    assert np.abs(got - ref).max() < 0.1 * np.abs(ref).max()


def test_batch_of_one_still_exports_a_dynamic_batch(mnist, mnist_cnn):
    x, y = mnist
    adaptor = TorchAdaptor("pytorch", {})
    model = adaptor.load(mnist_cnn)
    stats = adaptor.calibrate(
        model, DataLoader.from_arrays(x[:4], y[:4], batch_size=1), 4, {"minmax"}
    )
    q = adaptor.quantize(model, TuningSpace(adaptor.capabilities(model, "static")).default(), stats)
    assert adaptor.predict(q, x[:7]).shape == (7, 10)
    assert adaptor.predict(q, x[:1]).shape == (1, 10)


def test_unexportable_model_names_the_construct():
    adaptor = TorchAdaptor("pytorch", {})
    model = adaptor.load(DataDependent())
    loader = DataLoader.from_arrays(np.ones((4, 4), np.float32), np.zeros(4), batch_size=2)
    with pytest.raises(
        ModelError,
        match=r"torch.export cannot capture DataDependent: .*"
        r"Make control flow static",
    ):
        adaptor.calibrate(model, loader, 4, {"minmax"})


def test_empty_calibration_loader_is_a_data_error(mnist_cnn):
    adaptor = TorchAdaptor("pytorch", {})
    model = adaptor.load(mnist_cnn)
    with pytest.raises(DataError, match="no batches"):
        adaptor.calibrate(model, [], 10, {"minmax"})


def test_wrong_input_shape_is_a_data_error(mnist, mnist_cnn):
    x, y = mnist
    adaptor = TorchAdaptor("pytorch", {})
    model = adaptor.load(mnist_cnn)
    with pytest.raises(DataError, match=r"shapes \[\(2, 1, 20, 20\)\]"):
        adaptor.predict(model, np.zeros((2, 1, 20, 20), np.float32))
    adaptor.calibrate(model, [(x[:8], y[:8])], 8, {"minmax"})
    with pytest.raises(DataError, match="calibration batch does not fit"):
        adaptor.calibrate(model, [(np.zeros((2, 3, 28, 28), np.float32), y[:2])], 2, {"minmax"})


def test_non_module_is_rejected():
    with pytest.raises(ModelError, match=r"takes a torch.nn.Module"):
        TorchAdaptor("pytorch", {}).load({"weights": 1})


class SamePadConv(nn.Conv2d):
    """Like EfficientNet's Conv2dStaticSamePadding: a Conv2d subclass with its own forward."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.conv2d(nn.functional.pad(x, [1, 1, 1, 1]), self.weight, self.bias)


class Residual(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.stem = SamePadConv(3, 8, 3)
        self.act = nn.ReLU6()
        self.conv = nn.Conv2d(8, 8, 1)
        self.fc = nn.Linear(8, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.act(self.stem(x))
        return self.fc((self.conv(h) + h).mean((2, 3)))


def test_conv_subclasses_and_residual_adds_are_quantized():
    image, _, y = _data()
    loader = DataLoader.from_arrays(image, y, batch_size=8)
    adaptor = TorchAdaptor("pytorch", {})
    model = adaptor.load(Residual())
    stats = adaptor.calibrate(model, loader, 16, {"minmax"})
    space = TuningSpace(adaptor.capabilities(model, "static"), sampling_sizes=[16])
    assert space.ops["stem"].type == "Conv2d" and space.ops["add"].type == "Add"
    default = space.default()
    # The 8x4 head is too small for INT8 to pay off: it starts FP32, and can still be INT8.
    assert default.fp32_ops == ["fc"]
    q = adaptor.quantize(model, default.with_ops({"fc": DEFAULT_CHOICE}), stats)
    assert {"stem", "conv", "add", "fc"} <= set(q.quantized_ops)
    targets = [str(n.target) for n in adaptor.user_model(q).graph.nodes]
    assert any("qconv2d_pointwise.binary" in t for t in targets)  # conv + add fused in INT8


def test_models_with_scalar_buffers_and_local_classes_fingerprint_and_save(tmp_path):
    """BatchNorm's 0-dim int64 ``num_batches_tracked`` hashes; a class defined inside a
    function (not picklable) saves as its exported program once exported."""

    class Local(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.body = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU())

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.body(x).mean((2, 3))

    adaptor = TorchAdaptor("pytorch", {})
    model = adaptor.load(Local())
    assert len(adaptor.fingerprint(model)) == 16
    x = np.random.default_rng(0).standard_normal((4, 1, 8, 8)).astype(np.float32)
    adaptor.predict(model, x)
    adaptor.capabilities(model, "static")  # exports
    saved = adaptor.save(model, tmp_path / "fp32")
    assert saved.suffix == ".pt2"
    reloaded = torch.export.load(saved).module()
    np.testing.assert_allclose(
        reloaded(torch.from_numpy(x)).detach().numpy(), adaptor.predict(model, x), atol=1e-5
    )


def test_misspelled_option_names_the_nearest_one():
    with pytest.raises(ConfigError, match=r"model.options: unknown key 'reduce_rang' \(did you"):
        TorchAdaptor("pytorch", {"reduce_rang": True})
