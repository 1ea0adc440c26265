"""Dynamic INT8 Linear (``pytorch_dynamic``) on a small transformer encoder."""

from __future__ import annotations

import numpy as np
import torch
from lpot_torch.adaptor import TorchDynamicAdaptor
from torch import nn

from lpot_core.space import TuningSpace


class Encoder(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.layer = nn.TransformerEncoderLayer(64, 4, 128, batch_first=True, dropout=0.0)
        self.head = nn.Linear(64, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.layer(x).mean(1))


def test_dynamic_quantizes_linear_layers_without_calibration():
    adaptor = TorchDynamicAdaptor("pytorch_dynamic", {})
    x = np.random.default_rng(0).standard_normal((8, 10, 64)).astype(np.float32)
    model = adaptor.load(Encoder())
    ref = adaptor.predict(model, x)
    caps = adaptor.capabilities(model, "dynamic")
    assert {c.type for c in caps} == {"Linear"}
    assert {"layer.linear1", "layer.linear2", "head"} <= {c.name for c in caps}
    q = adaptor.quantize(model, TuningSpace(caps, approach="dynamic").default(), None)
    assert set(q.quantized_ops) == {c.name for c in caps}
    got = adaptor.predict(q, x[:3])
    assert np.abs(got - ref[:3]).max() < 0.05 * np.abs(ref).max()
    targets = {str(n.target) for n in q.reference.graph.nodes}
    assert any("choose_qparams" in t for t in targets)  # activations quantized per batch
