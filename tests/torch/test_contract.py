"""lpot's adaptor contract suite, run on the pytorch backend with the MNIST CNN."""

from __future__ import annotations

import pytest
from lpot_torch.adaptor import TorchAdaptor

from lpot_core.data import DataLoader
from lpot_core.testing.contracts import AdaptorContract


class TestTorchAdaptorContract(AdaptorContract):
    sampling_size = 32
    # An all-FP32 config still runs the BN-folded exported graph: float reassociation only.
    fp32_rtol = 1e-4
    fp32_atol = 1e-4

    @pytest.fixture
    def adaptor(self, mnist):
        # The contract asks for capabilities() before any batch was seen; torch.export needs
        # one, so the example comes through the documented option.
        return TorchAdaptor("pytorch", {"latency_backend": "eager", "example_inputs": mnist[0][:2]})

    @pytest.fixture
    def model(self, mnist_cnn):
        return mnist_cnn

    @pytest.fixture
    def dataloader(self, mnist):
        x, y = mnist
        return DataLoader.from_arrays(x[:64], y[:64], batch_size=32)

    @pytest.fixture
    def metric(self):
        from lpot_core import plugins

        return plugins.metrics(plugins.get_plugin_manager())["topk"](k=1)
