"""lpot's adaptor contract suite, run on the real pretrained MNIST CNN in every format."""

from __future__ import annotations

import pytest
from lpot_onnx.adaptor import OnnxAdaptor

from lpot_core.data import DataLoader
from lpot_core.metrics.classification import TopK
from lpot_core.testing.contracts import AdaptorContract
from lpot_core.testing.driver import CountingLoader


class _MnistContract(AdaptorContract):
    framework = "onnxrt_qdq"

    @pytest.fixture
    def adaptor(self):
        return OnnxAdaptor(self.framework)

    @pytest.fixture
    def model(self, mnist_path):
        return mnist_path

    @pytest.fixture
    def dataloader(self, mnist):
        x, y = mnist
        return DataLoader.from_arrays(x[:64], y[:64], batch_size=32)

    @pytest.fixture
    def metric(self):
        return TopK(k=1)


class TestQDQContract(_MnistContract):
    framework = "onnxrt_qdq"


class TestQOperatorContract(_MnistContract):
    framework = "onnxrt_qlinearops"


class TestDynamicContract(_MnistContract):
    framework = "onnxrt_integerops"
    approach = "dynamic"

    def test_quantize_reuses_calibration(self, adaptor, loaded, dataloader, space):
        """Dynamic quantization needs no calibration at all: no batch is drawn."""
        counting = CountingLoader(dataloader)
        stats = adaptor.calibrate(loaded, counting, self.sampling_size, space.algorithms())
        adaptor.quantize(loaded, space.default(), stats)
        assert counting.batches == 0
